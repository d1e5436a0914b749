//! Signing in and out, and the one-time setup of the first admin.

mod login;
mod setup;

use actix_web::web;

pub use login::PasswordChecks;
pub use setup::SetupToken;

use super::{page, read};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        page("/login/", "GET, HEAD, POST")
            .route(read().to(login::form))
            .route(web::post().to(login::sign_in)),
    )
    .service(page("/logout/", "POST").route(web::post().to(login::sign_out)))
    .service(
        page("/setup/", "GET, HEAD, POST")
            .route(read().to(setup::form))
            .route(web::post().to(setup::create_admin)),
    );
}
