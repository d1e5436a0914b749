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

/// One page of the listing, for either face. A search runs in one of the
/// database's few search lanes: its cost is the client's choice, so it must
/// not take the connections page reads need.
pub async fn list(
    db: &Database,
    params: listing::ListParams,
) -> Result<queries::StudentList, DbError> {
    let (list, ()) = list_with(db, params, |_, _| Ok(())).await?;
    Ok(list)
}

/// [`list`], and what `also` reads about the page on the same connection in
/// the same trip off the async workers (a face's extra columns, say).
pub async fn list_with<T, F>(
    db: &Database,
    params: listing::ListParams,
    also: F,
) -> Result<(queries::StudentList, T), DbError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &queries::StudentList) -> Result<T, DbError> + Send + 'static,
{
    let searching = params.search.is_some();
    let work = move |conn: &mut DbConnection| {
        let list = queries::list(conn, &params)?;
        let extra = also(conn, &list)?;
        Ok((list, extra))
    };
    if searching {
        db.run_search(work).await
    } else {
        db.run(work).await
    }
}
