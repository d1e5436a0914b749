//! The askama templates and the view models they display. Everything here is
//! rendered with HTML escaping on; nothing is marked safe.

use askama::Template;
use askama_web::WebTemplate;

use crate::students::validation::{BIO_MAX, CITY_MAX, EMAIL_MAX, NAME_MAX};
use crate::students::{Field, FieldErrors, Student, StudentDraft};
use crate::web::Page;

#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
pub struct IndexPage {
    pub page: Page,
    pub students: Vec<StudentView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "student.html")]
pub struct StudentPage {
    pub page: Page,
    pub student: StudentView,
}

/// The create and the edit page: one template, one form partial.
#[derive(Template)]
#[template(path = "student_form.html")]
pub struct StudentFormPage {
    pub page: Page,
    pub heading: String,
    pub action: String,
    pub submit_label: &'static str,
    pub cancel_url: String,
    /// The version an edit is based on; `None` when creating.
    pub version: Option<i32>,
    pub fields: Vec<FormField>,
    pub errors: Vec<(&'static str, String)>,
    /// Shown when someone else saved the student while this form was open.
    pub conflict: Option<StudentView>,
}

impl StudentFormPage {
    pub fn create(page: Page, draft: &StudentDraft, errors: &FieldErrors) -> Self {
        Self {
            page,
            heading: "Add a new student".into(),
            action: "/create/".into(),
            submit_label: "Add student",
            cancel_url: "/".into(),
            version: None,
            fields: FormField::all(draft, errors),
            errors: summary(errors),
            conflict: None,
        }
    }

    pub fn edit(
        page: Page,
        id: i32,
        version: i32,
        draft: &StudentDraft,
        errors: &FieldErrors,
    ) -> Self {
        let name = format!("{} {}", draft.firstname.trim(), draft.lastname.trim());
        Self {
            page,
            heading: format!("Edit {}", name.trim()),
            action: format!("/{id}/edit/"),
            submit_label: "Save changes",
            cancel_url: format!("/{id}/"),
            version: Some(version),
            fields: FormField::all(draft, errors),
            errors: summary(errors),
            conflict: None,
        }
    }

    /// "2 problems prevent saving this student".
    pub fn problem_count(&self) -> String {
        match self.errors.len() {
            1 => "1 problem prevents saving this student".into(),
            n => format!("{n} problems prevent saving this student"),
        }
    }
}

fn summary(errors: &FieldErrors) -> Vec<(&'static str, String)> {
    errors
        .iter()
        .map(|(field, message)| (field.name(), message.to_owned()))
        .collect()
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Empty: the error page has no flash messages and no forms.
    pub page: Page,
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

/// One input of the student form, with what the user typed and its message.
pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub error: Option<String>,
    pub hint: String,
    pub required: bool,
    pub input_type: &'static str,
    pub input_mode: &'static str,
    pub autocomplete: &'static str,
    pub multiline: bool,
}

impl FormField {
    fn all(draft: &StudentDraft, errors: &FieldErrors) -> Vec<Self> {
        Field::ALL
            .into_iter()
            .map(|field| {
                let (value, hint, required) = match field {
                    Field::Firstname => (
                        &draft.firstname,
                        format!("Required, up to {NAME_MAX} characters."),
                        true,
                    ),
                    Field::Lastname => (
                        &draft.lastname,
                        format!("Required, up to {NAME_MAX} characters."),
                        true,
                    ),
                    Field::Email => (
                        &draft.email,
                        format!("Required and unique, up to {EMAIL_MAX} characters."),
                        true,
                    ),
                    Field::Age => (
                        &draft.age,
                        "Optional, a whole number from 1 to 150.".to_owned(),
                        false,
                    ),
                    Field::Bio => (
                        &draft.bio,
                        format!("Optional, up to {BIO_MAX} characters."),
                        false,
                    ),
                    Field::City => (
                        &draft.city,
                        format!("Optional, up to {CITY_MAX} characters."),
                        false,
                    ),
                };
                Self {
                    name: field.name(),
                    label: field.label(),
                    value: value.clone(),
                    error: errors.get(field).map(str::to_owned),
                    hint,
                    required,
                    input_type: if field == Field::Email {
                        "email"
                    } else {
                        "text"
                    },
                    // Text, not number: a number input silently drops what is
                    // not a number, and the user would never see why.
                    input_mode: if field == Field::Age {
                        "numeric"
                    } else {
                        "text"
                    },
                    autocomplete: match field {
                        Field::Firstname => "given-name",
                        Field::Lastname => "family-name",
                        Field::Email => "email",
                        Field::City => "address-level2",
                        Field::Age | Field::Bio => "off",
                    },
                    multiline: field == Field::Bio,
                }
            })
            .collect()
    }
}

/// A student as the pages show it.
pub struct StudentView {
    pub id: i32,
    pub full_name: String,
    pub email: String,
    pub age: String,
    pub city: Option<String>,
    pub bio: Option<String>,
    /// "22 November 2026".
    pub joined: String,
    /// For `<time datetime>`.
    pub joined_iso: String,
    pub url: String,
    pub edit_url: String,
    pub delete_url: String,
}

impl From<&Student> for StudentView {
    fn from(student: &Student) -> Self {
        Self {
            id: student.id,
            full_name: student.full_name(),
            email: student.email.clone(),
            age: match student.age {
                Some(1) => "1 year old".into(),
                Some(age) => format!("{age} years old"),
                None => "Age not given".into(),
            },
            city: student.city.clone(),
            bio: student.bio.clone(),
            joined: student.created_at.format("%-d %B %Y").to_string(),
            joined_iso: student.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            url: format!("/{}/", student.id),
            edit_url: format!("/{}/edit/", student.id),
            delete_url: format!("/{}/delete/", student.id),
        }
    }
}
