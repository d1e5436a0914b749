//! HTTP handlers and the URL map.

mod fallback;
mod health;
mod students;

use actix_web::{Resource, web};

pub use fallback::not_found;

/// Registers every page. Static files are mounted by the caller.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page("/").route(web::get().to(students::index)))
        .service(
            page("/create/")
                .route(web::get().to(students::new_form))
                .route(web::post().to(students::create)),
        )
        .service(page("/{id:\\d+}/").route(web::get().to(students::show)))
        .service(
            page("/{id:\\d+}/edit/")
                .route(web::get().to(students::edit_form))
                .route(web::post().to(students::update)),
        )
        .service(page("/{id:\\d+}/delete/").route(web::post().to(students::delete)))
        .service(page("/healthz").route(web::get().to(health::healthz)));
}

/// A resource that answers a method it does not serve with the styled 405.
fn page(path: &str) -> Resource {
    web::resource(path).default_service(web::to(fallback::method_not_allowed))
}
