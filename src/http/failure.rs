//! The failures both faces answer alike, each in its own words: the
//! database is down, a write was not stored, a request used up its query
//! budget. All three are a 503: the same request may well work shortly.

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

    /// Logs it at its level: a request over budget is the client's doing,
    /// the others need an operator's attention.
    pub fn log(&self, line: &impl std::fmt::Debug) {
        match self {
            Self::TooSlow(_) => tracing::warn!("{line:?}"),
            Self::Unavailable(_) | Self::NotSaved(_) => tracing::error!("{line:?}"),
        }
    }
}
