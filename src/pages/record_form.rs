//! The create/edit form of a record (a student, a course), whatever the
//! record: what it submits, its inputs, the version an edit is based on, the
//! summary of its problems and the notice that the database did not store
//! it. `templates/record_form.html` lays out its page; a resource's own
//! template extends it with what differs (its description, the stored
//! record's facts after a conflicting edit).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use serde::Deserialize;

use super::AppError;
use super::csrf::CarriesCsrfToken;
use super::field::{InputField, problem_count};
use super::respond::render;
use crate::database::DbError;
use crate::http::{DbErrorKind, ServiceFailure};

pub struct RecordForm {
    pub heading: String,
    pub action: String,
    pub submit_label: String,
    pub cancel_url: String,
    /// The version an edit is based on; `None` when creating.
    pub version: Option<i32>,
    pub fields: Vec<InputField>,
    /// The fields' problems in form order, for the error summary.
    pub errors: Vec<(&'static str, String)>,
    /// Shown when the database could not store the submitted change.
    pub not_saved: bool,
    /// "course", as in "Add course", "1 problem prevents saving this course".
    pub noun: &'static str,
}

impl RecordForm {
    /// The form that adds a `noun` to the records under `base` ("/courses";
    /// "" for students, who live at the root).
    pub fn create(noun: &'static str, base: &str, fields: Vec<InputField>) -> Self {
        Self::new(
            noun,
            format!("Add a new {noun}"),
            format!("{base}/create/"),
            format!("{base}/"),
            None,
            fields,
        )
    }

    /// The form that edits record `id` under `base`, as it was at `version`.
    pub fn edit(
        noun: &'static str,
        base: &str,
        id: i32,
        version: i32,
        heading: String,
        fields: Vec<InputField>,
    ) -> Self {
        let mut form = Self::new(
            noun,
            heading,
            format!("{base}/{id}/edit/"),
            format!("{base}/{id}/"),
            Some(version),
            fields,
        );
        form.submit_label = "Save changes".into();
        form
    }

    fn new(
        noun: &'static str,
        heading: String,
        action: String,
        cancel_url: String,
        version: Option<i32>,
        fields: Vec<InputField>,
    ) -> Self {
        let errors = fields
            .iter()
            .filter_map(|field| Some((field.name, field.error.clone()?)))
            .collect();
        Self {
            heading,
            action,
            submit_label: format!("Add {noun}"),
            cancel_url,
            version,
            fields,
            errors,
            not_saved: false,
            noun,
        }
    }

    /// "2 problems prevent saving this course".
    pub fn problem_count(&self) -> String {
        problem_count(self.errors.len(), &format!("saving this {}", self.noun))
    }
}

/// The form as submitted: the record's fields (`D`, its draft) and, on
/// edit, the version the form was filled from.
#[derive(Debug, Deserialize)]
pub struct Submitted<D> {
    #[serde(default)]
    csrf_token: String,
    /// Absent on create.
    #[serde(default)]
    version: String,
    #[serde(flatten)]
    pub draft: D,
}

impl<D> CarriesCsrfToken for Submitted<D> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl<D> Submitted<D> {
    /// The version an edit of a `noun` is based on. Only a tampered or
    /// truncated submission lacks one: a 400, not a message beside a field.
    pub fn version(&self, noun: &str) -> Result<i32, AppError> {
        self.version.trim().parse().map_err(|_| {
            AppError::BadRequest(format!(
                "The form did not say which version of the {noun} it edits. Reload the page and try again."
            ))
        })
    }
}

/// The form again, with what was typed and a 503 saying nothing was stored:
/// a failed write should not also cost the user their typing. `page` is the
/// form's page with [`RecordForm::not_saved`] set.
pub fn not_saved(page: &impl Template, err: DbError) -> Result<HttpResponse, AppError> {
    tracing::error!("{:?}", AppError::from(ServiceFailure::NotSaved(err)));
    render(StatusCode::SERVICE_UNAVAILABLE, page)
        .map(|response| DbErrorKind::NotSaved.mark(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_the_fields_with_problems_in_form_order() {
        let fields = vec![
            InputField::new("code", "Code", "text").error(Some("Code is required".into())),
            InputField::new("title", "Title", "text"),
            InputField::new("credits", "Credits", "text").error(Some("Not a number".into())),
        ];
        let form = RecordForm::edit("course", "/courses", 7, 3, "Edit".into(), fields);
        assert_eq!(
            form.errors,
            [
                ("code", "Code is required".to_owned()),
                ("credits", "Not a number".to_owned())
            ]
        );
        assert_eq!(
            form.problem_count(),
            "2 problems prevent saving this course"
        );
        assert_eq!(form.action, "/courses/7/edit/");
        assert_eq!(form.cancel_url, "/courses/7/");
    }

    #[test]
    fn students_live_at_the_root() {
        let form = RecordForm::create("student", "", Vec::new());
        assert_eq!(
            (
                form.heading.as_str(),
                form.action.as_str(),
                form.cancel_url.as_str()
            ),
            ("Add a new student", "/create/", "/")
        );
        assert_eq!(form.submit_label, "Add student");
    }
}
