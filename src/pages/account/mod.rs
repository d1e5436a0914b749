//! `/account/`: the signed-in person's own account, whatever their role:
//! what it is, a new password, signing out everywhere ([`overview`]); and
//! `/account/tokens/`, their API tokens ([`tokens`]).

mod overview;
mod tokens;
mod views;

use actix_web::web;

use super::{page, read};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page("/account/", "GET, HEAD").route(read().to(overview::show)))
        .service(
            page("/account/password/", "POST").route(web::post().to(overview::change_password)),
        )
        .service(
            page("/account/sign-out-everywhere/", "POST")
                .route(web::post().to(overview::sign_out_everywhere)),
        )
        .service(
            page("/account/tokens/", "GET, HEAD, POST")
                .route(read().to(tokens::list))
                .route(web::post().to(tokens::create)),
        )
        .service(
            page("/account/tokens/{id:\\d+}/revoke/", "POST").route(web::post().to(tokens::revoke)),
        );
}
