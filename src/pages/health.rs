use actix_web::HttpResponse;
use actix_web::web;

use super::AppError;
use crate::database::Database;
use crate::http::ServiceFailure;

/// 200 when the database stores a write, 503 (the cause logged) when it does
/// not: down, full, read-only, or its file deleted or replaced.
pub async fn healthz(db: web::Data<Database>) -> Result<HttpResponse, AppError> {
    db.ping()
        .await
        .map_err(|err| AppError::Service(ServiceFailure::Unavailable(err)))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body("ok"))
}
