//! The OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! attributes and the wire types' schemas, and served at
//! `/api/openapi.json`.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header::{CACHE_CONTROL, ContentType};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::courses::json::{CourseInput, CoursePage, CoursePatch, CourseRecord, CourseSortParam};
use super::enrolments::json::{
    ClassListPage, ClassMemberRecord, ClassSortParam, CourseSummaryRecord, EnrolInput,
    EnrolmentRecord, StatusInput, StatusName, StudentEnrolmentRecord, StudentEnrolments,
    StudentSummaryRecord,
};
use super::error::ErrorBody;
use super::students::json::{
    DirParam, SortParam, StudentInput, StudentPage, StudentPatch, StudentRecord,
};
use super::students::{handlers, list};
use super::{courses, enrolments};

pub use super::OPENAPI_PATH as PATH;

/// The security scheme's name in the document (`security` in [`ApiDoc`]
/// spells it out: the attribute takes a literal).
const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Student Registry API",
        description = "The school's student records as JSON: the same records, rules and \
            messages as the web pages. Request bodies must be JSON (`Content-Type: \
            application/json`). Every error has the same shape, `{\"error\": \"...\", \
            \"fields\": {...}}`, whatever its status, including 404 for an unknown URL \
            under `/api` and 405 (with `Allow`) for a method a URL does not answer.\n\n\
            Responses that carry a student or a course also carry an `ETag` naming that \
            JSON: its version and its live count (a student's `enrolment_count`, a course's \
            `enrolled`), like `\"3.2\"`; `If-None-Match` with it answers 304 while both are \
            unchanged. Send it back in `If-Match` with `PUT`, `PATCH` or `DELETE` to change \
            the record only if nobody else has since (412 otherwise). `If-Match` compares \
            the version part only: a count that moved is no conflict, and a bare version, \
            `\"3\"`, still matches version 3. Without `If-Match`, or with `*`, changes are \
            unconditional.\n\n\
            Every operation needs an API token, sent as `Authorization: Bearer <token>` \
            (`student-registry tokens create`); cookies are ignored. Without a valid one: \
            401 with `WWW-Authenticate: Bearer`. A token's scope is `read` or `write`; \
            `POST`, `PUT`, `PATCH` and `DELETE` need `write`, from an editor's or an \
            admin's account (403 otherwise). This document itself is public."
    ),
    modifiers(&BearerToken),
    security(("bearer" = [])),
    paths(
        list::list,
        handlers::create,
        handlers::show,
        handlers::replace,
        handlers::update,
        handlers::delete,
        courses::list::list,
        courses::handlers::create,
        courses::handlers::show,
        courses::handlers::replace,
        courses::handlers::update,
        courses::handlers::delete,
        enrolments::class::list,
        enrolments::class::enrol,
        enrolments::student::list,
        enrolments::handlers::show,
        enrolments::handlers::update
    ),
    components(schemas(
        StudentRecord, StudentInput, StudentPatch, StudentPage, ErrorBody, SortParam, DirParam,
        CourseRecord, CourseInput, CoursePatch, CoursePage, CourseSortParam,
        EnrolmentRecord, StatusName, ClassMemberRecord, StudentSummaryRecord, ClassListPage,
        ClassSortParam, StudentEnrolmentRecord, CourseSummaryRecord, StudentEnrolments,
        EnrolInput, StatusInput
    )),
    tags(
        (name = "students", description = "Student records"),
        (name = "courses", description = "Courses, with their seats"),
        (name = "enrolments", description = "Students' places in courses: class lists, \
            enrolling, withdrawing")
    )
)]
pub struct ApiDoc;

/// Declares the bearer scheme that the document's `security` names.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (`sr_` and 43 more characters), made with \
                         `student-registry tokens create`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Built once: it never changes while the server runs.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|err| panic!("the OpenAPI document does not serialize: {err}"))
});

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(DOCUMENT.as_str())
}
