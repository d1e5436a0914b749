//! The enrolment forms (issue 14): enrolling one or more students in a
//! course, and changing an enrolment's status. They have no pages of their
//! own: the course page, the student page and the student index post here,
//! and each answer goes back to the page the form came from.

mod forms;
mod handlers;
mod views;

use actix_web::web;

use super::page;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page("/enrolments/", "POST").route(web::post().to(handlers::enrol)))
        .service(
            page("/enrolments/{id:\\d+}/status/", "POST")
                .route(web::post().to(handlers::set_status)),
        );
}
