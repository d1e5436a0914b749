//! The failures both faces answer alike, each in its own words: the
//! database is down, a write was not stored, a request used up its query
//! budget. All three are a 503: the same request may well work shortly.

use actix_web::HttpResponse;

use crate::database::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceFailure {
    #[error("the database is unavailable")]
    Unavailable(#[source] DbError),
    /// A write the database did not store; nothing of it remains.
    #[error("the change was not saved")]
    NotSaved(#[source] DbError),
    /// The request's query used up its budget and was stopped.
    #[error("the request took too long")]
    TooSlow(#[source] DbError),
}

impl ServiceFailure {
    /// The failure `err` is, or `err` back when it is none of them (a bug,
    /// or a query the database refused: a 500).
    pub fn classify(err: DbError) -> Result<Self, DbError> {
        if err.is_unavailable() {
            Ok(Self::Unavailable(err))
        } else if err.is_not_saved() {
            Ok(Self::NotSaved(err))
        } else if matches!(err, DbError::TooSlow(_)) {
            Ok(Self::TooSlow(err))
        } else {
            Err(err)
        }
    }

    pub fn kind(&self) -> DbErrorKind {
        match self {
            Self::Unavailable(_) => DbErrorKind::Unavailable,
            Self::NotSaved(_) => DbErrorKind::NotSaved,
            Self::TooSlow(_) => DbErrorKind::TooSlow,
        }
    }

    /// Logs it at its level: a request over budget is the client's doing,
    /// the others need an operator's attention.
    pub fn log(&self, line: &impl std::fmt::Debug) {
        match self {
            Self::TooSlow(_) => tracing::warn!("{line:?}"),
            Self::Unavailable(_) | Self::NotSaved(_) => tracing::error!("{line:?}"),
        }
    }
}

/// A database failure as `db_errors_total` counts it (its `kind` label). A
/// response that answers one carries it as an extension, which is how the
/// metrics middleware learns of it: the faces need no handle on the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    Unavailable,
    NotSaved,
    TooSlow,
    /// A database error that is none of the above: a 500.
    Other,
}

impl DbErrorKind {
    pub const ALL: [Self; 4] = [
        Self::Unavailable,
        Self::NotSaved,
        Self::TooSlow,
        Self::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::NotSaved => "not_saved",
            Self::TooSlow => "too_slow",
            Self::Other => "other",
        }
    }

    /// `Other` if an unexpected error is a database error.
    pub fn of_unexpected(err: &anyhow::Error) -> Option<Self> {
        err.downcast_ref::<DbError>().map(|_| Self::Other)
    }

    /// `response`, marked as answering this failure.
    pub fn mark(self, mut response: HttpResponse) -> HttpResponse {
        response.extensions_mut().insert(self);
        response
    }

    /// What `response` was marked with, if anything.
    pub fn of<B>(response: &HttpResponse<B>) -> Option<Self> {
        response.extensions().get::<Self>().copied()
    }
}
