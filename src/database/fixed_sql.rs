//! SQL text the query builder cannot express, written so that the statement
//! around it is still prepared once and reused.
//!
//! `diesel::dsl::sql` marks every statement that holds it as not to be
//! cached, since its text may be built at run time: SQLite then parses and
//! plans the statement on every call, and PostgreSQL gets an unnamed
//! statement to parse and plan each time (a search page spent 6% of its time
//! in SQLite's parser, perf). [`fixed_sql_type!`] declares a type for one
//! fixed text, and [`FixedSql`] holds fixed text around one bound value:
//! either way the statement's text is the same on every call, and the
//! statement is cached.

use std::marker::PhantomData;

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping,
    is_aggregate,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Text};

/// An SQL expression of type `ST` from fixed text around one bound text
/// value: `before`, the value as a parameter, then `after`.
#[derive(Debug, Clone)]
pub struct FixedSql<ST> {
    before: &'static str,
    value: String,
    after: &'static str,
    sql_type: PhantomData<ST>,
}

impl<ST> FixedSql<ST> {
    pub fn with_text(before: &'static str, value: String, after: &'static str) -> Self {
        Self {
            before,
            value,
            after,
            sql_type: PhantomData,
        }
    }
}

impl<ST: TypedExpressionType> Expression for FixedSql<ST> {
    type SqlType = ST;
}

impl<ST, DB> QueryFragment<DB> for FixedSql<ST>
where
    DB: Backend + HasSqlType<Text>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(self.before);
        out.push_bind_param::<Text, _>(&self.value)?;
        out.push_sql(self.after);
        Ok(())
    }
}

/// Not a static id: the text is only known from the value, so the statement
/// is cached by its text.
impl<ST> QueryId for FixedSql<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, QS> SelectableExpression<QS> for FixedSql<ST> where Self: Expression {}

impl<ST, QS> AppearsOnTable<QS> for FixedSql<ST> where Self: Expression {}

impl<ST, GB> ValidGrouping<GB> for FixedSql<ST> {
    type IsAggregate = is_aggregate::Never;
}

/// Declares a zero-sized expression type for one fixed SQL text:
/// `fixed_sql_type!(pub NoAge: Integer = "0");`. A statement holding it
/// keeps a static query id if nothing else in it varies, so diesel finds its
/// prepared statement by its type, without writing the SQL out first as it
/// must for [`FixedSql`] (a tenth of the student list's first page on
/// SQLite, design 14).
macro_rules! fixed_sql_type {
    ($(#[$meta:meta])* $vis:vis $name:ident: $sql_type:ty = $text:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        $vis struct $name;

        impl diesel::expression::Expression for $name {
            type SqlType = $sql_type;
        }

        impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($text);
                Ok(())
            }
        }

        impl<QS> diesel::expression::SelectableExpression<QS> for $name {}

        impl<QS> diesel::expression::AppearsOnTable<QS> for $name {}

        impl<GB> diesel::expression::ValidGrouping<GB> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
    };
}

pub(crate) use fixed_sql_type;

#[cfg(test)]
mod tests {
    use super::FixedSql;
    use diesel::debug_query;
    use diesel::prelude::*;
    use diesel::query_builder::QueryFragment;
    use diesel::sql_types::{Bool, Integer};
    use diesel::sqlite::Sqlite;

    /// Whether diesel would keep the prepared statement of `query`.
    fn cacheable(query: &impl QueryFragment<Sqlite>) -> bool {
        query
            .is_safe_to_cache_prepared(&Sqlite)
            .expect("walks the query")
    }

    fixed_sql_type!(Two: Integer = "1 + 1");

    #[test]
    fn fixed_text_keeps_a_statement_cacheable_where_sql_does_not() {
        let fixed = diesel::select(Two);
        assert!(cacheable(&fixed));
        assert_eq!(
            debug_query::<Sqlite, _>(&fixed).to_string(),
            "SELECT 1 + 1 -- binds: []"
        );
        let literal = diesel::select(diesel::dsl::sql::<Integer>("1 + 1"));
        assert!(!cacheable(&literal));
    }

    #[test]
    fn a_fixed_sql_type_keeps_a_static_id() {
        use diesel::query_builder::QueryId;
        let query = diesel::select(Two);
        assert!(cacheable(&query));
        // A static id is what diesel's cache looks the statement up by.
        assert!(<diesel::dsl::select<Two> as QueryId>::query_id().is_some());
        assert!(<diesel::dsl::select<FixedSql<Bool>> as QueryId>::query_id().is_none());
        let mut conn = SqliteConnection::establish(":memory:").expect("a database");
        assert_eq!(query.get_result::<i32>(&mut conn).expect("runs"), 2);
    }

    #[test]
    fn a_bound_value_sits_between_the_texts() {
        let query = diesel::select(FixedSql::<Bool>::with_text(
            "length(",
            "abc".into(),
            ") = 3",
        ));
        assert!(cacheable(&query));
        assert_eq!(
            debug_query::<Sqlite, _>(&query).to_string(),
            "SELECT length(?) = 3 -- binds: [\"abc\"]"
        );
        let mut conn = SqliteConnection::establish(":memory:").expect("a database");
        assert!(query.get_result::<bool>(&mut conn).expect("runs"));
    }
}
