//! Audit events as the pages show them: when, who, what, and each field's
//! value before and after.

use chrono::Timelike;
use serde_json::Value;

use crate::audit::{Action, AuditEvent};
use crate::courses::Field as CourseField;
use crate::format::{readable_date, rfc3339};
use crate::students::Field;

pub struct EventView {
    pub when: String,
    pub when_iso: String,
    pub who: String,
    pub address: Option<String>,
    pub what: &'static str,
    /// The subject's page, and how to name it, when it has one.
    pub subject: Option<(String, String)>,
    pub changes: Vec<ChangeView>,
}

pub struct ChangeView {
    pub field: String,
    pub before: String,
    pub after: String,
}

impl EventView {
    pub fn new(event: &AuditEvent) -> Self {
        let action = Action::parse(&event.action).ok();
        let at = &event.occurred_at;
        Self {
            when: format!(
                "{}, {:02}:{:02} UTC",
                readable_date(at),
                at.hour(),
                at.minute()
            ),
            when_iso: rfc3339(at),
            who: event.actor_label.clone(),
            address: event.address.clone(),
            what: action.map_or("Other change", describe),
            subject: subject_link(event),
            changes: changes(action, &event.details()),
        }
    }
}

pub fn describe(action: Action) -> &'static str {
    match action {
        Action::StudentCreate => "Student added",
        Action::StudentUpdate => "Student changed",
        Action::StudentDelete => "Student deleted",
        Action::UserSignIn => "Signed in",
        Action::UserSignInFailed => "Sign-in failed",
        Action::UserSignOut => "Signed out",
        Action::UserCreate => "Account created",
        Action::UserSetRole => "Role changed",
        Action::UserDeactivate => "Account deactivated",
        Action::UserActivate => "Account activated",
        Action::UserResetPassword => "Password reset",
        Action::UserChangePassword => "Password changed",
        Action::TokenCreate => "API token created",
        Action::TokenRevoke => "API token revoked",
        Action::CourseCreate => "Course added",
        Action::CourseUpdate => "Course changed",
        Action::CourseDelete => "Course deleted",
        Action::EnrolmentCreate => "Enrolled",
        Action::EnrolmentUpdate => "Enrolment changed",
    }
}

fn subject_link(event: &AuditEvent) -> Option<(String, String)> {
    let id = event.subject_id?;
    match event.subject_type.as_deref()? {
        "student" => Some((format!("/{id}/"), format!("Student #{id}"))),
        "user" => Some((format!("/users/{id}/"), format!("Account #{id}"))),
        "course" => Some((format!("/courses/{id}/"), format!("Course #{id}"))),
        // An enrolment has no page of its own: its course's class list shows it.
        "enrolment" => {
            let details = event.details();
            let course = details.get("course_id").and_then(Value::as_i64);
            let student = details.get("student_id").and_then(Value::as_i64);
            match (course, student) {
                (Some(course), Some(student)) => Some((
                    format!("/courses/{course}/"),
                    format!("Enrolment #{id}: student #{student} in course #{course}"),
                )),
                _ => None,
            }
        }
        _ => None,
    }
}

/// An update's details are `{"field": {"old": …, "new": …}}`; a create's
/// the values set, a delete's the values removed.
fn changes(action: Option<Action>, details: &Value) -> Vec<ChangeView> {
    let Value::Object(fields) = details else {
        return Vec::new();
    };
    let mut changes: Vec<(usize, ChangeView)> = fields
        .iter()
        .map(|(name, value)| {
            let (before, after) = match (action, value) {
                (Some(Action::StudentDelete | Action::CourseDelete), value) => {
                    (shown(value), String::new())
                }
                (_, Value::Object(change)) if change.contains_key("old") => (
                    change.get("old").map(shown).unwrap_or_default(),
                    change.get("new").map(shown).unwrap_or_default(),
                ),
                (_, value) => (String::new(), shown(value)),
            };
            let (order, field) = label(name);
            (
                order,
                ChangeView {
                    field,
                    before,
                    after,
                },
            )
        })
        .collect();
    // In the form's order, then any other by name.
    changes.sort_by_key(|(order, _)| *order);
    changes.into_iter().map(|(_, change)| change).collect()
}

/// A student's or course's field label and its place in the form (their
/// names differ); any other name as written, after them.
fn label(name: &str) -> (usize, String) {
    let student = Field::ALL
        .iter()
        .position(|field| field.name() == name)
        .map(|position| (position, Field::ALL[position].label().to_owned()));
    let course = || {
        CourseField::ALL
            .iter()
            .position(|field| field.name() == name)
            .map(|position| (position, CourseField::ALL[position].label().to_owned()))
    };
    student
        .or_else(course)
        .unwrap_or_else(|| (Field::ALL.len(), name.replace('_', " ")))
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_update_shows_each_changed_field_in_form_order_with_before_and_after() {
        let details = json!({
            "city": {"old": "Lisbon", "new": "Porto"},
            "age": {"old": 20, "new": null},
        });
        let changes = changes(Some(Action::StudentUpdate), &details);
        let rows: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_str(), c.after.as_str()))
            .collect();
        assert_eq!(rows, [("Age", "20", ""), ("City", "Lisbon", "Porto")]);
    }

    #[test]
    fn a_create_shows_the_values_set_and_a_delete_the_values_removed() {
        let details = json!({"firstname": "Sammy", "email": "s@example.com"});
        let created = changes(Some(Action::StudentCreate), &details);
        assert_eq!(
            (
                created[0].field.as_str(),
                created[0].before.as_str(),
                created[0].after.as_str()
            ),
            ("First name", "", "Sammy")
        );
        let deleted = changes(Some(Action::StudentDelete), &details);
        assert_eq!(
            (
                deleted[1].field.as_str(),
                deleted[1].before.as_str(),
                deleted[1].after.as_str()
            ),
            ("Email", "s@example.com", "")
        );
    }

    #[test]
    fn courses_and_enrolments_are_named_and_linked_to_the_course() {
        let event = |action: Action, subject_type: &str, details: Value| AuditEvent {
            id: 1,
            occurred_at: chrono::NaiveDate::from_ymd_opt(2026, 5, 1)
                .unwrap()
                .and_hms_opt(9, 30, 0)
                .unwrap(),
            actor_user_id: None,
            actor_label: "command line".into(),
            address: None,
            action: action.as_str().into(),
            subject_type: Some(subject_type.into()),
            subject_id: Some(7),
            details: details.to_string(),
        };
        let course = EventView::new(&event(
            Action::CourseUpdate,
            "course",
            json!({"capacity": {"old": 30, "new": 40}}),
        ));
        assert_eq!(
            course.subject,
            Some(("/courses/7/".into(), "Course #7".into()))
        );
        assert_eq!(course.changes[0].field, "Capacity");
        let enrolment = EventView::new(&event(
            Action::EnrolmentCreate,
            "enrolment",
            json!({"student_id": 3, "course_id": 5, "status": "enrolled"}),
        ));
        assert_eq!(
            enrolment.subject,
            Some((
                "/courses/5/".into(),
                "Enrolment #7: student #3 in course #5".into()
            ))
        );
        let deleted = EventView::new(&event(
            Action::CourseDelete,
            "course",
            json!({"code": "BIO-101"}),
        ));
        assert_eq!(
            (
                deleted.changes[0].before.as_str(),
                deleted.changes[0].after.as_str()
            ),
            ("BIO-101", "")
        );
    }
}
