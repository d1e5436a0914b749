//! `/users/`: the admins' pages for staff accounts: the list, a new
//! account, and an account's page with its changes (role, deactivate or
//! activate, a new password). Every route takes the [`Admin`] extractor,
//! so viewers and editors get the styled 403.
//!
//! [`Admin`]: crate::pages::session::Admin

mod forms;
mod handlers;
mod views;

use actix_web::web;

use super::{page, read};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page("/users/", "GET, HEAD").route(read().to(handlers::index)))
        .service(
            page("/users/new/", "GET, HEAD, POST")
                .route(read().to(handlers::new_form))
                .route(web::post().to(handlers::create)),
        )
        .service(page("/users/{id:\\d+}/", "GET, HEAD").route(read().to(handlers::show)))
        .service(page("/users/{id:\\d+}/role/", "POST").route(web::post().to(handlers::set_role)))
        .service(
            page("/users/{id:\\d+}/deactivate/", "POST")
                .route(web::post().to(handlers::deactivate)),
        )
        .service(
            page("/users/{id:\\d+}/activate/", "POST").route(web::post().to(handlers::activate)),
        )
        .service(
            page("/users/{id:\\d+}/password/", "POST")
                .route(web::post().to(handlers::reset_password)),
        );
}
