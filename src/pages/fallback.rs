//! What answers when no route does.

use actix_web::http::Method;
use actix_web::http::header::{ALLOW, HeaderValue, LOCATION};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::AppError;

/// Redirects `/create` to `/create/` (the tutorial's URLs end in a slash);
/// anything else is the styled 404.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let path = req.path();
    // `//host` would be read by browsers as another site; static files have
    // no slash-terminated twins.
    if !path.ends_with('/') && !path.starts_with("//") && !path.starts_with("/static/") {
        let with_slash = format!("{path}/");
        if req.resource_map().has_resource(&with_slash) {
            let location = match req.query_string() {
                "" => with_slash,
                query => format!("{with_slash}?{query}"),
            };
            // 308 keeps the method, so a form posted to `/create` still works.
            let mut redirect = if req.method() == Method::GET || req.method() == Method::HEAD {
                HttpResponse::MovedPermanently()
            } else {
                HttpResponse::PermanentRedirect()
            };
            return Ok(redirect.insert_header((LOCATION, location)).finish());
        }
    }
    Err(AppError::NotFound)
}

/// The styled 405, with the `Allow` header RFC 9110 requires on one.
pub async fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut response = AppError::MethodNotAllowed.error_response();
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}
