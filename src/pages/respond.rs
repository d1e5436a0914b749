//! The two ways a page handler answers besides an error: a rendered page
//! with a status of its choosing, and a redirect after a form.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, LOCATION};
use askama::Template;

use super::AppError;

/// askama_web's responder always answers 200; forms that were refused need
/// their own status.
pub fn render(status: StatusCode, template: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(template.render()?))
}

/// [`render`] into a buffer of `capacity` bytes: a page that grows with its
/// rows (the index's 100 rows are 120 kB) is written once, instead of being
/// copied each time the buffer doubles from the template's fixed hint.
pub fn render_sized(
    status: StatusCode,
    template: &impl Template,
    capacity: usize,
) -> Result<HttpResponse, AppError> {
    let mut page = String::with_capacity(capacity);
    template.render_into(&mut page)?;
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(page))
}

/// Post/Redirect/Get: a reload after saving does not submit again.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}
