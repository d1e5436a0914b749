//! The audit history (issue 13): every change, who made it, when and from
//! where, recorded in the same transaction as the change itself, so a change
//! that did not commit leaves no event and an event never describes a change
//! that was not stored.
//!
//! - [`model`]: who acts ([`Actor`]), what they did ([`Action`]), to which
//!   record ([`Subject`]), and the stored [`AuditEvent`];
//! - [`queries`]: [`record`] (inside the caller's write transaction), a
//!   record's history, the activity listing, and pruning;
//! - [`listing`]: what the activity listing may ask for, and its query
//!   string.
//!
//! It knows no resource: the domain modules (students, accounts) call
//! [`record`] with their own details, never the other way round.

pub mod listing;
pub mod model;
pub mod queries;

pub use listing::{
    ActivityFilter, ActivityParams, ActivityQuery, Cursor, DEFAULT_PER_PAGE, MAX_PER_PAGE,
};
pub use model::{Action, Actor, AuditEvent, Subject, UnknownAction};
pub use queries::{ActivityPage, changed_fields, for_subject, list, prune, record, record_all};
