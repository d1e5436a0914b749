//! The one error type of the web layer. Each variant knows its status code and
//! renders the styled error page; causes are logged, never shown.

use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::Page;
use crate::accounts::Role;
use crate::database::DbError;
use crate::http::{DbErrorKind, ServiceFailure, body_limit_text, debug_as_cause_chain};
use crate::students::SaveError;

/// The styled page every error answers with.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Empty: the error page has no flash messages and no forms.
    pub page: Page,
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

#[derive(thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The signed-in account's role does not allow this.
    #[error("the {needed} role is needed; the account is a {role}")]
    NotPermitted { role: Role, needed: Role },
    /// The session could not be read or stored: the database is down.
    #[error("the session store failed")]
    SessionStorage,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("request body too large")]
    PayloadTooLarge,
    /// The form's body did not arrive within `BODY_TIMEOUT_SECS`.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    #[error(transparent)]
    Service(#[from] ServiceFailure),
    #[error("unexpected error")]
    Unexpected(#[source] anyhow::Error),
}

impl AppError {
    pub fn unexpected(err: impl Into<anyhow::Error>) -> Self {
        Self::Unexpected(err.into())
    }

    /// The page's heading and the sentence under it.
    fn describe(&self) -> (&'static str, String) {
        match self {
            Self::NotFound => (
                "Page not found",
                "There is no page at this address. The student may have been deleted.".into(),
            ),
            Self::MethodNotAllowed => (
                "Method not allowed",
                "This page cannot be used that way.".into(),
            ),
            Self::Forbidden(_) => (
                "Request refused",
                "The form was out of date or did not come from this site. Go back, reload the page and try again."
                    .into(),
            ),
            Self::NotPermitted { role, needed } => (
                "Not allowed",
                format!(
                    "Your account is a {role}: this needs the {needed} role. \
                     An admin can change your role if you need it."
                ),
            ),
            Self::SessionStorage => (
                "Temporarily unavailable",
                "The database is not answering right now. Please try again in a moment.".into(),
            ),
            Self::BadRequest(reason) => ("Bad request", reason.clone()),
            Self::PayloadTooLarge => (
                "Too much data",
                format!(
                    "The form sent more data than this site accepts ({}).",
                    body_limit_text()
                ),
            ),
            Self::RequestTimeout => (
                "The form took too long to arrive",
                "The connection was too slow to send the form in time. Please submit it again."
                    .into(),
            ),
            Self::Service(ServiceFailure::Unavailable(_)) => (
                "Temporarily unavailable",
                "The database is not answering right now. Please try again in a moment.".into(),
            ),
            Self::Service(ServiceFailure::NotSaved(_)) => (
                "Not saved",
                "The change was not saved: the database could not store it. Nothing was changed; please try again."

                    .into(),
            ),
            Self::Service(ServiceFailure::TooSlow(_)) => (
                "This took too long",
                "The page needed more work than this site allows for one request. Please try again in a moment."
                    .into(),
            ),
            Self::Unexpected(_) => (
                "Something went wrong",
                "An unexpected error occurred. It has been logged; please try again.".into(),
            ),
        }
    }
}

debug_as_cause_chain!(AppError);

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Forbidden(_) | Self::NotPermitted { .. } => StatusCode::FORBIDDEN,
            Self::SessionStorage => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Service(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            Self::Unexpected(_) => tracing::error!("{self:?}"),
            Self::Service(failure) => failure.log(self),
            Self::Forbidden(reason) => tracing::warn!("request refused: {reason}"),
            Self::NotPermitted { .. } => tracing::info!("{self}"),
            _ => {}
        }
        let (title, message) = self.describe();
        let page = ErrorPage {
            page: Page::default(),
            status: status.as_u16(),
            title,
            message,
        };
        let mut response = HttpResponse::build(status);
        if matches!(self, Self::RequestTimeout) {
            // The rest of the body may still be on its way: drop the connection.
            response.force_close();
        }
        let response = match page.render() {
            Ok(body) => response.content_type(ContentType::html()).body(body),
            Err(err) => {
                tracing::error!("cannot render the error page: {err}");
                response.content_type(ContentType::plaintext()).body(title)
            }
        };
        let kind = match self {
            Self::Service(failure) => Some(failure.kind()),
            Self::SessionStorage => Some(DbErrorKind::Unavailable),
            Self::Unexpected(err) => DbErrorKind::of_unexpected(err),
            _ => None,
        };
        match kind {
            Some(kind) => kind.mark(response),
            None => response,
        }
    }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        ServiceFailure::classify(err).map_or_else(Self::unexpected, Self::Service)
    }
}

/// For the outcomes a handler did not turn into a page of its own.
impl From<SaveError> for AppError {
    fn from(err: SaveError) -> Self {
        match err {
            SaveError::NotFound => Self::NotFound,
            SaveError::Database(err) => err.into(),
            other => Self::unexpected(other),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        Self::unexpected(err)
    }
}

impl From<PathError> for AppError {
    fn from(_: PathError) -> Self {
        // `/99999999999999999999/` names no student, whatever the cause.
        Self::NotFound
    }
}

impl From<QueryPayloadError> for AppError {
    fn from(_: QueryPayloadError) -> Self {
        Self::BadRequest("The address has a malformed query string.".into())
    }
}
