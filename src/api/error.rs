//! The API's one error type. Every failure under `/api`, whoever detects it
//! (a handler, an extractor, the router), answers with the same JSON shape,
//! [`ErrorBody`]; causes of server-side failures are logged, never sent.

use std::collections::BTreeMap;

use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, ETAG, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::conditional::{self, Tag};
use crate::courses::Field as CourseField;
use crate::courses::validation::CODE_TAKEN;
use crate::database::DbError;
use crate::http::{DbErrorKind, ServiceFailure, body_limit_text, debug_as_cause_chain};
use crate::students::FieldErrors;

/// The 413 answer's message.
pub fn too_large_message() -> String {
    format!(
        "the request body is larger than this API accepts ({})",
        body_limit_text()
    )
}

/// What every error response carries.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "error": "validation failed",
    "fields": {"email": "Enter an email address like name@example.com"}
}))]
pub struct ErrorBody {
    /// What went wrong, in one sentence.
    pub error: String,
    /// One message per field or query parameter that was wrong, keyed by its
    /// name; empty when the error is not about particular fields.
    pub fields: BTreeMap<String, String>,
}

#[derive(thiserror::Error)]
pub enum ApiError {
    /// Some fields break the rules the pages' forms apply: a message per
    /// field, keyed by its JSON name.
    #[error("validation failed")]
    Invalid(BTreeMap<String, String>),
    #[error("another student already uses this email address")]
    EmailTaken,
    #[error("another course already uses this code")]
    CodeTaken,
    /// A course with enrolment rows (any status) keeps them: not deleted.
    #[error("the course has {count} enrolments")]
    HasEnrolments { count: i64 },
    #[error("the student is already enrolled in this course")]
    AlreadyEnrolled,
    #[error("the course is full")]
    CourseFull { capacity: i32 },
    /// No valid token: missing, malformed, unknown, expired, revoked, or
    /// of a deactivated account. `presented`: a bearer token was sent (RFC
    /// 6750 then says `error="invalid_token"`).
    #[error("unauthenticated: {message}")]
    Unauthenticated {
        message: &'static str,
        presented: bool,
    },
    /// A valid token that may not do this. `scope`: its scope is what is
    /// lacking (RFC 6750's `insufficient_scope`), rather than its account's
    /// role.
    #[error("forbidden: {message}")]
    Forbidden { message: String, scope: bool },
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// `allow` lists the methods the resource answers, for the `Allow` header.
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    /// `If-Match` named none of the stored versions of the `what` ("student",
    /// "course"); `current` tags what is stored now, count included, as a
    /// `GET` would.
    #[error("precondition failed")]
    PreconditionFailed { what: &'static str, current: Tag },
    #[error("bad request: {message}")]
    BadRequest {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body did not arrive within `BODY_TIMEOUT_SECS`.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    #[error(transparent)]
    Service(#[from] ServiceFailure),
    /// A listing's search used up the query budget.
    #[error("the search matched too much")]
    SearchTooBroad(#[source] DbError),
    #[error("unexpected error")]
    Unexpected(#[source] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            fields: BTreeMap::new(),
        }
    }

    pub const NO_SUCH_STUDENT: Self = Self::NotFound("no student has this id");
    pub const NO_SUCH_COURSE: Self = Self::NotFound("no course has this id");
    pub const NO_SUCH_ENROLMENT: Self = Self::NotFound("no enrolment has this id");

    /// A 422 with one message for `field`.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    fn body(&self) -> ErrorBody {
        let (error, fields): (String, BTreeMap<String, String>) = match self {
            Self::Invalid(fields) => ("validation failed".into(), fields.clone()),
            Self::EmailTaken => (
                "another student already uses this email address".into(),
                field_map(&FieldErrors::email_taken()),
            ),
            Self::CodeTaken => (
                "another course already uses this code".into(),
                BTreeMap::from([(CourseField::Code.name().to_owned(), CODE_TAKEN.to_owned())]),
            ),
            Self::HasEnrolments { count } => (
                format!(
                    "the course cannot be deleted: it has {count} enrolment{} (enrolled, \
                     withdrawn or completed), which are kept as its history",
                    if *count == 1 { "" } else { "s" }
                ),
                BTreeMap::new(),
            ),
            Self::AlreadyEnrolled => (
                "the student is already enrolled in this course".into(),
                BTreeMap::from([(
                    "student_id".to_owned(),
                    "This student is already enrolled in this course".to_owned(),
                )]),
            ),
            Self::CourseFull { capacity } => (
                format!("the course is full: all {capacity} seats are taken"),
                BTreeMap::new(),
            ),
            Self::Unauthenticated { message, .. } => ((*message).into(), BTreeMap::new()),
            Self::Forbidden { message, .. } => (message.clone(), BTreeMap::new()),
            Self::NotFound(what) => ((*what).into(), BTreeMap::new()),
            Self::MethodNotAllowed { allow } => (
                format!("this URL does not answer this method; it answers {allow}"),
                BTreeMap::new(),
            ),
            Self::PreconditionFailed { what, current } => (
                format!(
                    "the {what} has changed since the version If-Match names; \
                     it is now at ETag {current}"
                ),
                BTreeMap::new(),
            ),
            Self::BadRequest { message, fields } => (message.clone(), fields.clone()),
            Self::UnsupportedMediaType => (
                "the request body must be JSON, sent with Content-Type: application/json".into(),
                BTreeMap::new(),
            ),
            Self::PayloadTooLarge => (too_large_message(), BTreeMap::new()),
            Self::RequestTimeout => (
                "the request body did not arrive in time; send it again".into(),
                BTreeMap::new(),
            ),
            Self::Service(ServiceFailure::Unavailable(_)) => (
                "the database is not answering right now; please try again in a moment".into(),
                BTreeMap::new(),
            ),
            Self::Service(ServiceFailure::NotSaved(_)) => (
                "the change was not saved: the database could not store it; \
                 nothing was changed, please try again"
                    .into(),
                BTreeMap::new(),
            ),
            Self::Service(ServiceFailure::TooSlow(_)) => (
                "the request needed more work than this API allows for one request; \
                 please try again in a moment"
                    .into(),
                BTreeMap::new(),
            ),
            Self::SearchTooBroad(_) => (
                crate::students::listing::SEARCH_TOO_BROAD.into(),
                BTreeMap::new(),
            ),
            Self::Unexpected(_) => (
                "an unexpected error occurred; it has been logged".into(),
                BTreeMap::new(),
            ),
        };
        ErrorBody { error, fields }
    }
}

/// The protection space named in `WWW-Authenticate`.
pub const REALM: &str = "Student Registry API";

/// `WWW-Authenticate` for a 401: a bare challenge when no bearer token was
/// sent (RFC 6750 §3.1: then no error code), `invalid_token` when one was.
pub fn bearer_challenge(presented: bool) -> String {
    if presented {
        format!(
            r#"Bearer realm="{REALM}", error="invalid_token", error_description="the token is unknown, expired or revoked, or its account is deactivated""#
        )
    } else {
        format!(r#"Bearer realm="{REALM}""#)
    }
}

pub fn field_map(errors: &FieldErrors) -> BTreeMap<String, String> {
    errors
        .iter()
        .map(|(field, message)| (field.name().to_owned(), message.to_owned()))
        .collect()
}

debug_as_cause_chain!(ApiError);

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::EmailTaken
            | Self::CodeTaken
            | Self::HasEnrolments { .. }
            | Self::AlreadyEnrolled
            | Self::CourseFull { .. } => StatusCode::CONFLICT,
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Service(_) | Self::SearchTooBroad(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unexpected(_) => tracing::error!("{self:?}"),
            Self::Service(failure) => failure.log(self),
            Self::SearchTooBroad(_) => tracing::warn!("{self:?}"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::MethodNotAllowed { allow } => {
                response.insert_header((ALLOW, *allow));
            }
            // RFC 6750 §3: the challenge says how to authenticate, and why
            // a token that was sent did not do.
            Self::Unauthenticated { presented, .. } => {
                response.insert_header((WWW_AUTHENTICATE, bearer_challenge(*presented)));
            }
            Self::Forbidden { scope: true, .. } => {
                response.insert_header((
                    WWW_AUTHENTICATE,
                    format!(r#"Bearer realm="{REALM}", error="insufficient_scope", scope="write""#),
                ));
            }
            Self::PreconditionFailed { current, .. } => {
                response.insert_header((ETAG, current.to_string()));
            }
            // The rest of the body may still be on its way: drop the connection.
            Self::RequestTimeout => {
                response.force_close();
            }
            _ => {}
        }
        let response = response.json(self.body());
        let kind = match self {
            Self::Service(failure) => Some(failure.kind()),
            Self::SearchTooBroad(_) => Some(DbErrorKind::TooSlow),
            Self::Unexpected(err) => DbErrorKind::of_unexpected(err),
            _ => None,
        };
        match kind {
            Some(kind) => kind.mark(response),
            None => response,
        }
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        ServiceFailure::classify(err).map_or_else(|err| Self::Unexpected(err.into()), Self::Service)
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(field_map(&errors))
    }
}

impl From<JsonPayloadError> for ApiError {
    fn from(err: JsonPayloadError) -> Self {
        match err {
            JsonPayloadError::OverflowKnownLength { .. }
            | JsonPayloadError::Overflow { .. }
            | JsonPayloadError::Payload(PayloadError::Overflow) => Self::PayloadTooLarge,
            JsonPayloadError::ContentType => Self::UnsupportedMediaType,
            JsonPayloadError::Deserialize(err) if err.is_data() => {
                Self::bad_request(format!("the JSON does not fit this request: {err}"))
            }
            JsonPayloadError::Deserialize(err) => {
                Self::bad_request(format!("the body is not valid JSON: {err}"))
            }
            JsonPayloadError::Payload(_) => Self::bad_request("the request body could not be read"),
            // Serialize errors come from responses, not from what a client sent.
            other => Self::Unexpected(anyhow::anyhow!("{other}")),
        }
    }
}

impl From<conditional::Malformed> for ApiError {
    fn from(err: conditional::Malformed) -> Self {
        Self::bad_request(err.to_string())
    }
}

/// A body that is JSON but does not fit the request: the field at fault, when
/// there is one, is named in `fields`.
impl From<serde_path_to_error::Error<serde_json::Error>> for ApiError {
    fn from(err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = err.path().to_string();
        let problem = err.inner().to_string();
        let mut fields = BTreeMap::new();
        let message = if path == "." {
            format!("the JSON does not fit this request: {problem}")
        } else {
            fields.insert(path, problem);
            "the JSON does not fit this request".to_owned()
        };
        Self::BadRequest { message, fields }
    }
}

/// Unknown URLs under `/api`.
pub async fn not_found(_: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("there is no API endpoint at this URL"))
}
