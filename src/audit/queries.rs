//! Every query about the audit history. Functions take a connection and
//! block; handlers call them through [`crate::database::Database::run`].

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::listing::{ActivityFilter, Cursor, MAX_PER_PAGE};
use super::model::{Action, Actor, AuditEvent, NewAuditEvent, Subject};
use crate::database::{DbConnection, DbError, on_backend};
use crate::schema::audit_events;

/// Records one event. Call it INSIDE the write transaction of the change it
/// describes: the change and its event then commit together or not at all,
/// and a failure to record the event rolls the change back.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: Action,
    subject: Option<Subject>,
    details: &Value,
) -> Result<(), DbError> {
    // One row through the single-row insert: a statement of its own in the
    // statement cache, which every write uses.
    let event = new_event(&(actor, action, subject, details));
    on_backend!(conn, |c| diesel::insert_into(audit_events::table)
        .values(&event)
        .execute(c))?;
    Ok(())
}

/// Records several events in one statement, each as [`record`] would: for a
/// change made of several at once (a group of enrolments), inside its write
/// transaction. (A multi-row insert is prepared afresh each time, so one
/// event goes through [`record`]'s cached statement.)
pub fn record_all(
    conn: &mut DbConnection,
    events: &[(&Actor, Action, Option<Subject>, &Value)],
) -> Result<(), DbError> {
    let rows: Vec<NewAuditEvent<'_>> = match events {
        [] => return Ok(()),
        [event] => {
            let (actor, action, subject, details) = *event;
            return record(conn, actor, action, subject, details);
        }
        _ => events.iter().map(new_event).collect(),
    };
    on_backend!(conn, |c| diesel::insert_into(audit_events::table)
        .values(&rows)
        .execute(c))?;
    Ok(())
}

fn new_event<'a>(
    (actor, action, subject, details): &(&'a Actor, Action, Option<Subject>, &Value),
) -> NewAuditEvent<'a> {
    NewAuditEvent {
        actor_user_id: actor.user_id,
        actor_label: &actor.label,
        address: actor.address.as_deref(),
        action: action.as_str(),
        subject_type: subject.map(Subject::type_name),
        subject_id: subject.map(Subject::id),
        details: details.to_string(),
    }
}

/// The details of an update: each field whose value differs between
/// `before` and `after` (two JSON objects of a record's fields), as
/// `{"field": {"old": …, "new": …}}`. A field missing from one side counts
/// as `null` there.
pub fn changed_fields(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Map<String, Value> {
    let mut changes = Map::new();
    let names = before.keys().chain(after.keys());
    for name in names {
        let old = before.get(name).unwrap_or(&Value::Null);
        let new = after.get(name).unwrap_or(&Value::Null);
        if old != new && !changes.contains_key(name) {
            changes.insert(name.clone(), json!({"old": old, "new": new}));
        }
    }
    changes
}

/// A record's history, newest first, at most `limit` events.
pub fn for_subject(
    conn: &mut DbConnection,
    subject: Subject,
    limit: i64,
) -> Result<Vec<AuditEvent>, DbError> {
    // Served by the index on (subject_type, subject_id, id).
    Ok(on_backend!(conn, |c| audit_events::table
        .filter(audit_events::subject_type.eq(subject.type_name()))
        .filter(audit_events::subject_id.eq(subject.id()))
        .order(audit_events::id.desc())
        .limit(limit.max(0))
        .select(AuditEvent::as_select())
        .load(c))?)
}

/// One page of the activity listing, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityPage {
    pub events: Vec<AuditEvent>,
    /// The cursor of the next older page (`Cursor::Before`), if there is one.
    pub older: Option<i32>,
    /// The cursor of the next newer page (`Cursor::After`), if there is one.
    pub newer: Option<i32>,
}

/// One page of the whole log, filtered, newest first: one query for the
/// page (it reads one row more than it shows, to know whether another page
/// follows on its far side) and, when the page did not start at the newest,
/// one to know whether a page lies on its near side. `per_page` is clamped
/// to 1..=[`MAX_PER_PAGE`].
pub fn list(
    conn: &mut DbConnection,
    filter: &ActivityFilter,
    cursor: Cursor,
    per_page: i64,
) -> Result<ActivityPage, DbError> {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let bound = match cursor {
        Cursor::Newest => Bound::None,
        Cursor::Before(id) => Bound::Below(id),
        Cursor::After(id) => Bound::Above(id),
    };
    let mut events = load(conn, filter, bound, per_page + 1)?;
    let more_beyond = events.len() as i64 > per_page;
    events.truncate(per_page as usize);
    let (older, newer) = match cursor {
        Cursor::Newest => (more_beyond.then(|| last_id(&events)).flatten(), None),
        Cursor::Before(id) => {
            // An empty page (past the oldest) links to the rows from its cursor up.
            let top = first_id(&events).unwrap_or(id.saturating_sub(1));
            let newer = exists(conn, filter, Bound::Above(top))?.then_some(top);
            (more_beyond.then(|| last_id(&events)).flatten(), newer)
        }
        Cursor::After(id) => {
            // Read upwards from the cursor; shown newest first.
            events.reverse();
            let bottom = last_id(&events).unwrap_or(id.saturating_add(1));
            let older = exists(conn, filter, Bound::Below(bottom))?.then_some(bottom);
            (older, more_beyond.then(|| first_id(&events)).flatten())
        }
    };
    Ok(ActivityPage {
        events,
        older,
        newer,
    })
}

fn first_id(events: &[AuditEvent]) -> Option<i32> {
    events.first().map(|event| event.id)
}

fn last_id(events: &[AuditEvent]) -> Option<i32> {
    events.last().map(|event| event.id)
}

/// Which side of a cursor to read.
#[derive(Debug, Clone, Copy)]
enum Bound {
    None,
    /// Ids below this one, newest first.
    Below(i32),
    /// Ids above this one, oldest first.
    Above(i32),
}

/// The events passing `filter`, as a query boxed for `$backend`: each filter
/// is optional, so the query's shape varies. A macro, as diesel's bounds for
/// a generic backend would outweigh the code.
macro_rules! filtered {
    ($filter:expr, $backend:ty) => {{
        let filter: &ActivityFilter = $filter;
        let mut query = audit_events::table.into_boxed::<$backend>();
        if let Some(user_id) = filter.actor_user_id {
            query = query.filter(audit_events::actor_user_id.eq(user_id));
        }
        if let Some(action) = filter.action {
            query = query.filter(audit_events::action.eq(action.as_str()));
        }
        if let Some(from) = filter.from {
            query = query.filter(audit_events::occurred_at.ge(start_of(from)));
        }
        if let Some(day_after) = filter.to.and_then(|to| to.succ_opt()) {
            // Up to the end of that day: before the start of the next.
            query = query.filter(audit_events::occurred_at.lt(start_of(day_after)));
        }
        query
    }};
}

/// Up to `limit` events passing `filter` on one side of a bound.
fn load(
    conn: &mut DbConnection,
    filter: &ActivityFilter,
    bound: Bound,
    limit: i64,
) -> Result<Vec<AuditEvent>, DbError> {
    macro_rules! page {
        ($c:ident, $backend:ty) => {{
            let query = filtered!(filter, $backend).select(AuditEvent::as_select());
            match bound {
                Bound::None => query.order(audit_events::id.desc()).limit(limit).load($c),
                Bound::Below(id) => query
                    .filter(audit_events::id.lt(id))
                    .order(audit_events::id.desc())
                    .limit(limit)
                    .load($c),
                Bound::Above(id) => query
                    .filter(audit_events::id.gt(id))
                    .order(audit_events::id.asc())
                    .limit(limit)
                    .load($c),
            }
        }};
    }
    Ok(match conn {
        DbConnection::Sqlite(c) => page!(c, diesel::sqlite::Sqlite),
        DbConnection::Postgresql(c) => page!(c, diesel::pg::Pg),
    }?)
}

/// Whether any event passing `filter` lies on that side of the bound.
fn exists(conn: &mut DbConnection, filter: &ActivityFilter, bound: Bound) -> Result<bool, DbError> {
    Ok(!load(conn, filter, bound, 1)?.is_empty())
}

fn start_of(day: NaiveDate) -> NaiveDateTime {
    day.and_time(chrono::NaiveTime::MIN)
}

/// Deletes the events recorded more than `older_than_days` days ago (now,
/// UTC), in a write transaction of its own, and returns how many.
pub fn prune(conn: &mut DbConnection, older_than_days: u32) -> Result<usize, DbError> {
    let now = chrono::Utc::now().naive_utc();
    // A span reaching back before any date chrono can hold: nothing is that old.
    let Some(cutoff) = chrono::TimeDelta::try_days(older_than_days.into())
        .and_then(|span| now.checked_sub_signed(span))
    else {
        return Ok(0);
    };
    conn.write_transaction(|conn| {
        Ok(on_backend!(conn, |c| diesel::delete(
            audit_events::table.filter(audit_events::occurred_at.lt(cutoff))
        )
        .execute(c))?)
    })
}
