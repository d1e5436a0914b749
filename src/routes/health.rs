use actix_web::HttpResponse;
use actix_web::web;

use crate::database::Database;
use crate::web::AppError;

/// 200 when the database answers a query, 503 when it does not.
pub async fn healthz(db: web::Data<Database>) -> Result<HttpResponse, AppError> {
    db.ping().await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body("ok"))
}
