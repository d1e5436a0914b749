//! The course pages (issue 14): the course list, a course's page (its facts,
//! history, class list and "Add students" search), the create and edit
//! forms, and the delete button. Enrolling and changing an enrolment's
//! status are [`super::enrolments`]'s forms.

mod forms;
mod handlers;
mod index;
mod views;

use actix_web::{HttpRequest, web};

use super::session::read_ahead::ReadAhead;
use super::{id_in_path, page, read};

/// The read of the course list or a course's page, made with the session's
/// (see [`super::session::read_ahead`]).
pub fn read_ahead(req: &HttpRequest) -> Option<ReadAhead> {
    match req.path() {
        "/courses/" => handlers::read_ahead_index(req),
        path => id_in_path(path, "/courses/").map(|id| handlers::read_ahead_show(req, id)),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page("/courses/", "GET, HEAD").route(read().to(handlers::index)))
        .service(
            page("/courses/create/", "GET, HEAD, POST")
                .route(read().to(handlers::new_form))
                .route(web::post().to(handlers::create)),
        )
        .service(page("/courses/{id:\\d+}/", "GET, HEAD").route(read().to(handlers::show)))
        .service(
            page("/courses/{id:\\d+}/edit/", "GET, HEAD, POST")
                .route(read().to(handlers::edit_form))
                .route(web::post().to(handlers::update)),
        )
        .service(
            page("/courses/{id:\\d+}/delete/", "POST").route(web::post().to(handlers::delete)),
        );
}
