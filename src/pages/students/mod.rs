//! The student pages: the index, a student's page, the create and edit
//! forms, the delete button, and the index's bulk actions.

mod forms;
mod handlers;
mod index;
mod selection;
mod views;

use actix_web::{HttpRequest, web};

use super::session::read_ahead::ReadAhead;
use super::{id_in_path, page, read};

/// The read of the index or a student's page, made with the session's (see
/// [`super::session::read_ahead`]).
pub fn read_ahead(req: &HttpRequest) -> Option<ReadAhead> {
    match req.path() {
        "/" => handlers::read_ahead_index(req),
        path => id_in_path(path, "/").map(|id| handlers::read_ahead_show(req, id)),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page("/", "GET, HEAD").route(read().to(handlers::index)))
        .service(
            page("/create/", "GET, HEAD, POST")
                .route(read().to(handlers::new_form))
                .route(web::post().to(handlers::create)),
        )
        .service(page("/{id:\\d+}/", "GET, HEAD").route(read().to(handlers::show)))
        .service(
            page("/{id:\\d+}/edit/", "GET, HEAD, POST")
                .route(read().to(handlers::edit_form))
                .route(web::post().to(handlers::update)),
        )
        .service(page("/{id:\\d+}/delete/", "POST").route(web::post().to(handlers::delete)))
        .service(page("/selection/", "GET, HEAD").route(read().to(selection::selection)))
        .service(page("/selection/delete/", "POST").route(web::post().to(selection::delete)));
}
