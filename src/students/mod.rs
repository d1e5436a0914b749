//! The student domain: the record, the rules a record must follow, and the
//! queries that store it.

pub mod listing;
pub mod model;
pub mod queries;
pub mod validation;

pub use model::{Student, StudentDetails};
pub use queries::SaveError;
pub use validation::{Field, FieldErrors, StudentDraft};

use crate::database::{Database, DbError};

/// One page of the listing, for either face. A search runs in one of the
/// database's few search lanes: its cost is the client's choice, so it must
/// not take the connections page reads need.
pub async fn list(
    db: &Database,
    params: listing::ListParams,
) -> Result<queries::StudentList, DbError> {
    if params.search.is_some() {
        db.run_search(move |conn| queries::list(conn, &params))
            .await
    } else {
        db.run(move |conn| queries::list(conn, &params)).await
    }
}
