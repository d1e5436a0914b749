//! HTTP handlers and the URL map.

mod assets;
mod fallback;
mod health;
mod students;

use actix_web::{Resource, Route, guard, web};

pub use assets::static_files;
pub use fallback::not_found;

/// Registers every page. Static files are mounted by the caller.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page("/", "GET, HEAD").route(read().to(students::index)))
        .service(
            page("/create/", "GET, HEAD, POST")
                .route(read().to(students::new_form))
                .route(web::post().to(students::create)),
        )
        .service(page("/{id:\\d+}/", "GET, HEAD").route(read().to(students::show)))
        .service(
            page("/{id:\\d+}/edit/", "GET, HEAD, POST")
                .route(read().to(students::edit_form))
                .route(web::post().to(students::update)),
        )
        .service(page("/{id:\\d+}/delete/", "POST").route(web::post().to(students::delete)))
        .service(page("/healthz", "GET, HEAD").route(read().to(health::healthz)));
}

/// A resource that answers a method it does not serve with the styled 405,
/// whose `Allow` lists `allow`, the methods its routes take.
fn page(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || fallback::method_not_allowed(allow)))
}

/// GET, and HEAD with it: the same handler, whose body the server leaves out.
fn read() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}
