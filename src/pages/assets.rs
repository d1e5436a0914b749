//! `/static/`: the stylesheet and script. Real files may be cached by
//! anyone; anything else under `/static/` is one of the app's styled errors.

use std::path::Path;

use actix_files::Files;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{Error, ResponseError, web};

use super::AppError;
use super::fallback;

/// Mounts the folder `dir` at `/static`.
pub fn static_files(dir: &Path) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let files = Files::new("", dir).default_handler(web::to(fallback::not_found));
    move |cfg| {
        cfg.service(web::scope("/static").wrap(from_fn(finish)).service(files));
    }
}

/// Files answers some errors itself, in plain text: another method than GET
/// or HEAD (405), a path it will not map to a file such as a hidden one
/// (400), the folder itself (404). Those become the styled pages; only what
/// it serves from a file gets `Cache-Control: public`.
async fn finish(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let mut response = next.call(req).await?;
    let status = response.status();
    let styled = match status {
        _ if status.is_success() || status == StatusCode::NOT_MODIFIED => {
            response.headers_mut().insert(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            return Ok(response.map_into_left_body());
        }
        StatusCode::METHOD_NOT_ALLOWED => fallback::method_not_allowed("GET, HEAD").await,
        // About ranges and conditions: answers of the protocol, not pages.
        StatusCode::PRECONDITION_FAILED | StatusCode::RANGE_NOT_SATISFIABLE => {
            return Ok(response.map_into_left_body());
        }
        _ if status.is_client_error() => AppError::NotFound.error_response(),
        _ => return Ok(response.map_into_left_body()),
    };
    Ok(response.into_response(styled).map_into_right_body())
}
