//! [`PageOf::page_of`]: a page of a listing's query, written for the
//! backend it runs on.
//!
//! PostgreSQL runs a prepared statement with a plan made for its parameters
//! (a custom plan) until a generic plan looks no dearer. Given `LIMIT $1`, it
//! cannot know that a page is 25 rows and guesses a tenth of the table, so
//! the generic plan of a listing could look dearer and each page was planned
//! afresh: a quarter to a third of the class list's time on the database
//! (pgbench, one client, the class list statement: 2,617 runs/s with `LIMIT $2
//! OFFSET $3`, 3,668 with `LIMIT 25`). With the limit in the statement's
//! text and no `OFFSET` on a first page (nor on a last, which is read
//! backward), the generic plan is the one a page needs, and PostgreSQL keeps
//! it. Pages further in keep both as parameters: an offset in the text would
//! make a statement per page. The limit written is a page size (1 to 100,
//! a number, never text from a request): a last page read backward asks for
//! a whole page's rows and is cut after ([`rows_to_read`]), so its length
//! does not make statements of its own. Each order of a listing then has a
//! statement per page size in use (one or two, in practice) on each
//! connection.
//!
//! SQLite plans both forms alike, and a statement whose text varies is
//! cached by its text, which diesel then writes out on every run to look it
//! up (the index's first page took about a tenth more CPU): there the page
//! keeps diesel's bound `LIMIT` and `OFFSET`, and its static type.

use diesel::backend::Backend;
use diesel::dsl::{Limit, Offset};
use diesel::pg::PgConnection;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::methods::{LimitDsl, OffsetDsl};
use diesel::serialize::ToSql;
use diesel::sql_types::BigInt;
use diesel::sqlite::SqliteConnection;
use diesel::{QueryResult, RunQueryDsl};

use super::AnyConnection;

/// How many rows to ask for when a page of `rows` rows (a last page, read
/// backward from the listing's end) is wanted: on PostgreSQL a whole page
/// (`per_page`), cut to `rows` after reading, so the statement written is
/// the page size's (see the module's comment); on SQLite `rows`, as reading
/// the extra rows would cost it CPU for nothing.
pub fn rows_to_read(conn: &AnyConnection, rows: i64, per_page: i64) -> i64 {
    match conn {
        AnyConnection::Postgresql(_) => rows.max(per_page),
        AnyConnection::Sqlite(_) => rows,
    }
}

/// `query LIMIT limit OFFSET offset` as `Self`'s backend should run it, for
/// a query without a limit of its own (an ordered `select`):
/// `conn.page_of(query, offset, limit).load(conn)`.
pub trait PageOf<Q> {
    type Page;
    fn page_of(&self, query: Q, offset: i64, limit: i64) -> Self::Page;
}

impl<Q> PageOf<Q> for PgConnection
where
    Q: Query,
{
    type Page = Paged<Q>;

    fn page_of(&self, query: Q, offset: i64, limit: i64) -> Paged<Q> {
        Paged {
            query,
            offset,
            limit: limit.max(0),
        }
    }
}

impl<Q> PageOf<Q> for SqliteConnection
where
    Q: OffsetDsl,
    Offset<Q>: LimitDsl,
{
    type Page = Limit<Offset<Q>>;

    fn page_of(&self, query: Q, offset: i64, limit: i64) -> Self::Page {
        query.offset(offset).limit(limit)
    }
}

/// A page as PostgreSQL runs it (see the module's comment).

#[derive(Debug, Clone)]
pub struct Paged<Q> {
    query: Q,
    offset: i64,
    limit: i64,
}

impl<Q: Query> Query for Paged<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> QueryId for Paged<Q> {
    type QueryId = ();
    // The text depends on the limit, so each backend caches the statement by
    // its text rather than by its type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, DB> QueryFragment<DB> for Paged<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        if self.offset == 0 {
            out.push_sql(&self.limit.to_string());
        } else {
            out.push_bind_param::<BigInt, _>(&self.limit)?;
            out.push_sql(" OFFSET ");
            out.push_bind_param::<BigInt, _>(&self.offset)?;
        }
        Ok(())
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Paged<Q> {}

#[cfg(test)]
mod tests {
    use diesel::debug_query;
    use diesel::pg::Pg;
    use diesel::prelude::*;

    use super::Paged;
    use crate::schema::students;

    fn sql(offset: i64, limit: i64) -> String {
        let query = Paged {
            query: students::table.select(students::id).order_by(students::id),
            offset,
            limit,
        };
        debug_query::<Pg, _>(&query).to_string()
    }

    #[test]
    fn a_first_page_has_its_limit_in_the_text_and_no_offset() {
        let text = sql(0, 25);
        assert!(
            text.contains(r#"ORDER BY "students"."id" LIMIT 25 --"#),
            "{text}"
        );
        assert!(!text.contains("OFFSET"), "{text}");
    }

    #[test]
    fn a_page_further_in_binds_its_limit_and_offset() {
        let text = sql(50, 25);
        assert!(text.contains("LIMIT $1 OFFSET $2 --"), "{text}");
        assert!(text.ends_with("binds: [25, 50]"), "{text}");
    }
}
