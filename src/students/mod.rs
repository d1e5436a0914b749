//! The student domain: the record, the rules a record must follow, and the
//! queries that store it. Both faces (pages and API) go through it.
//!
//! - [`model`]: the stored record;
//! - [`validation`]: what someone typed ([`StudentDraft`]) and the only way
//!   from it to storable details ([`StudentDetails`]);
//! - [`queries`]: reads, the listing, and the one write path;
//! - [`listing`]: what a listing request may ask for;
//! - [`stored_emails`]: brings emails stored before today's rules into their
//!   standard form at start-up;
//! - [`seed`]: sample students for `seed`.

pub mod listing;
pub mod model;
pub mod queries;
pub mod seed;
pub mod stored_emails;
pub mod validation;

pub use model::Student;
pub use queries::SaveError;
pub use validation::{Field, FieldErrors, StudentDetails, StudentDraft};

use crate::database::{Database, DbConnection, DbError};

/// One page of the listing, for either face.
pub async fn list(
    db: &Database,
    params: listing::ListParams,
) -> Result<queries::StudentList, DbError> {
    let searching = params.search.is_some();
    read_listing(db, searching, move |conn| queries::list(conn, &params)).await
}

/// Runs `read`, which reads a page of the listing and whatever else the
/// page needs, in one trip off the async workers. A search (`searching`)
/// runs in one of the database's few search lanes: its cost is the client's
/// choice, so it must not take the connections page reads need.
pub async fn read_listing<T, F>(db: &Database, searching: bool, read: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
{
    if searching {
        db.run_search(read).await
    } else {
        db.run(read).await
    }
}
