//! A page's lists as JSON that PostgreSQL builds, each a column of the one
//! row the page is about, so the page is one statement (`student_page`,
//! `course_page`): the column types, and the decoding of what they hold.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::result::Error as DieselError;
use serde::de::DeserializeOwned;

use crate::audit::AuditEvent;

/// A column of JSON text, fixed SQL (a subquery correlated with the page's
/// row) with at most one bound value. Each is its own type, so the
/// statement holding it has a static id and stays prepared.
macro_rules! json_column {
    ($name:ident $(($bound:ty))?, |$this:ident, $out:ident| $walk:block) => {
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        pub(super) struct $name$((pub(super) $bound))?;

        impl diesel::expression::Expression for $name {
            type SqlType = diesel::sql_types::Nullable<diesel::sql_types::Text>;
        }

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut $out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                let $this = self;
                $walk
            }
        }

        impl<QS> diesel::expression::SelectableExpression<QS> for $name {}

        impl<QS> diesel::expression::AppearsOnTable<QS> for $name {}

        impl<GB> diesel::expression::ValidGrouping<GB> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
    };
}

pub(super) use json_column;

/// A column of the newest events of the page's record (`$subject`, its id
/// the SQL `$id`), as [`crate::audit::for_subject`] reads them; the number
/// of them is bound. Decoded by [`events`].
macro_rules! history_json_column {
    ($name:ident, $subject:literal, $id:literal) => {
        $crate::courses::queries::page_json::json_column!($name(i64), |this, out| {
            out.push_sql(concat!(
                "(SELECT json_agg(json_build_array(a.id, a.occurred_at, a.actor_user_id, ",
                "a.actor_label, a.address, a.action, a.subject_type, a.subject_id, a.details) ",
                "ORDER BY a.id DESC)::text FROM (SELECT * FROM audit_events ",
                "WHERE subject_type = '",
                $subject,
                "' AND subject_id = ",
                $id,
                " ORDER BY id DESC LIMIT "
            ));
            out.push_bind_param::<diesel::sql_types::BigInt, _>(&this.0)?;
            out.push_sql(") AS a)");
            Ok(())
        });
    };
}

pub(super) use history_json_column;

/// A list as `json_agg` gives it: `NULL` when it is empty.
pub(super) fn decode<T: DeserializeOwned>(json: Option<String>) -> Result<Vec<T>, DieselError> {
    match json {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(bad_row),
    }
}

pub(super) fn bad_row(err: impl std::error::Error + Send + Sync + 'static) -> DieselError {
    DieselError::DeserializationError(Box::new(err))
}

/// JSON writes dates and times as ISO 8601, whatever the session's
/// `DateStyle`.
pub(super) fn date(text: &str) -> Result<NaiveDate, DieselError> {
    text.parse().map_err(bad_row)
}

/// The events of a [`history_json_column`].
pub(super) fn events(json: Option<String>) -> Result<Vec<AuditEvent>, DieselError> {
    decode::<EventRow>(json)?
        .into_iter()
        .map(EventRow::into_event)
        .collect()
}

/// An audit event, as [`history_json_column`] builds it: a JSON array,
/// which serde reads into the fields in order.
#[derive(serde::Deserialize)]
struct EventRow {
    id: i32,
    occurred_at: String,
    actor_user_id: Option<i32>,
    actor_label: String,
    address: Option<String>,
    action: String,
    subject_type: Option<String>,
    subject_id: Option<i32>,
    details: String,
}

impl EventRow {
    fn into_event(self) -> Result<AuditEvent, DieselError> {
        Ok(AuditEvent {
            id: self.id,
            occurred_at: self.occurred_at.parse::<NaiveDateTime>().map_err(bad_row)?,
            actor_user_id: self.actor_user_id,
            actor_label: self.actor_label,
            address: self.address,
            action: self.action,
            subject_type: self.subject_type,
            subject_id: self.subject_id,
            details: self.details,
        })
    }
}
