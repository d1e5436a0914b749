//! A student's page and the create/edit form: their templates and the view
//! models they display. Rendered with HTML escaping on; nothing is marked
//! safe.

use std::fmt;

use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDateTime;

use super::selection::CourseOption;
use crate::courses::EnrolmentStatus;
use crate::courses::queries::StudentCourse;
use crate::format::{ReadableDate, Rfc3339, iso_date, readable_date};
use crate::pages::Page;
use crate::pages::field::InputField;
use crate::pages::history::EventView;
use crate::pages::record_form::RecordForm;
use crate::students::validation::{AGE_MAX, AGE_MIN, BIO_MAX, CITY_MAX, EMAIL_MAX, NAME_MAX};
use crate::students::{Field, FieldErrors, Student, StudentDraft};

#[derive(Template, WebTemplate)]
#[template(path = "students/show.html")]
pub struct StudentPage {
    pub page: Page,
    pub student: StudentView,
    /// Every enrolment, current or not, by course code.
    pub enrolments: Vec<EnrolmentView>,
    /// What the enrol form offers (editors only).
    pub offer: EnrolOffer,
    /// Its audit history, newest first.
    pub events: Vec<EventView>,
}

/// The enrol form on a student's page: courses with a seat left that the
/// student is not enrolled in now. A few are listed whole; when there are too
/// many for one list, the form searches them by code or title instead.
pub struct EnrolOffer {
    /// The form starts with a course search.
    pub by_search: bool,
    /// What was searched for.
    pub term: Option<String>,
    /// Every open course (a list), or the first matches (a search).
    pub courses: Vec<CourseOption>,
    /// More courses matched than are listed.
    pub more: bool,
}

/// One of a student's enrolments as their page shows it.
pub struct EnrolmentView {
    pub id: i32,
    pub course_id: i32,
    pub code: String,
    pub title: String,
    /// "Enrolled", "Withdrawn" or "Completed".
    pub status: &'static str,
    /// Only a current enrolment can be withdrawn.
    pub current: bool,
    pub enrolled_on: String,
    pub enrolled_on_iso: String,
    pub withdrawn_on: Option<(String, String)>,
}

impl From<&StudentCourse> for EnrolmentView {
    fn from(row: &StudentCourse) -> Self {
        let enrolment = &row.enrolment;
        Self {
            id: enrolment.id,
            course_id: row.course.id,
            code: row.course.code.clone(),
            title: row.course.title.clone(),
            status: match enrolment.status {
                EnrolmentStatus::Enrolled => "Enrolled",
                EnrolmentStatus::Withdrawn => "Withdrawn",
                EnrolmentStatus::Completed => "Completed",
            },
            current: enrolment.status == EnrolmentStatus::Enrolled,
            enrolled_on: readable_date(&enrolment.enrolled_on),
            enrolled_on_iso: iso_date(&enrolment.enrolled_on),
            withdrawn_on: enrolment
                .withdrawn_on
                .map(|day| (readable_date(&day), iso_date(&day))),
        }
    }
}

/// The create and the edit page: the shared record form, and the stored
/// student when an edit met someone else's.
#[derive(Template)]
#[template(path = "students/form.html")]
pub struct StudentFormPage {
    pub page: Page,
    pub form: RecordForm,
    /// Shown when someone else saved the student while this form was open.
    pub conflict: Option<StudentView>,
}

impl StudentFormPage {
    pub fn create(page: Page, draft: &StudentDraft, errors: &FieldErrors) -> Self {
        Self {
            page,
            form: RecordForm::create("student", "", fields(draft, errors)),
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
        let heading = format!("Edit {}", name.trim());
        Self {
            page,
            form: RecordForm::edit("student", "", id, version, heading, fields(draft, errors)),
            conflict: None,
        }
    }

    /// For the error summary partial.
    pub fn problem_count(&self) -> String {
        self.form.problem_count()
    }
}

/// The student form's inputs, with what the user typed and their messages.
fn fields(draft: &StudentDraft, errors: &FieldErrors) -> Vec<InputField> {
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
                    format!("Optional, a whole number from {AGE_MIN} to {AGE_MAX}."),
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
            let input_type = if field == Field::Email {
                "email"
            } else {
                "text"
            };
            let input = InputField::new(field.name(), field.label(), input_type)
                .autocomplete(match field {
                    Field::Firstname => "given-name",
                    Field::Lastname => "family-name",
                    Field::Email => "email",
                    Field::City => "address-level2",
                    Field::Age | Field::Bio => "off",
                })
                .hint(hint)
                .required(required)
                .value(value)
                .error(errors.get(field).map(str::to_owned));
            match field {
                Field::Age => input.numeric(),
                Field::Bio => input.multiline(),
                _ => input,
            }
        })
        .collect()
}

/// A student as the pages show it.
pub struct StudentView {
    pub id: i32,
    pub full_name: String,
    pub email: String,
    pub age: AgeText,
    pub city: Option<String>,
    pub bio: Option<String>,
    /// The start of the bio, for the index.
    pub bio_excerpt: Option<String>,
    /// "22 Nov 2026".
    pub joined: ReadableDate<NaiveDateTime>,
    /// For `<time datetime>`.
    pub joined_iso: Rfc3339,
}

/// "20 years old", written straight into the page (the index shows a
/// hundred a page; a string each was an allocation each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeText(pub Option<i32>);

impl fmt::Display for AgeText {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(1) => out.write_str("1 year old"),
            Some(age) => {
                fmt::Display::fmt(&age, out)?;
                out.write_str(" years old")
            }
            None => out.write_str("Age not given"),
        }
    }
}

impl From<Student> for StudentView {
    /// Takes the record's strings rather than copying them (the index makes
    /// a hundred of these a page).
    fn from(student: Student) -> Self {
        let full_name = student.full_name();
        // No `..`: a new field of the record does not compile here until the
        // pages decide how to show it (docs/adding-a-field.md).
        let Student {
            id,
            firstname: _,
            lastname: _,
            email,
            age,
            bio,
            city,
            version: _,
            created_at,
            updated_at: _,
            current_courses: _,
        } = student;
        Self {
            id,
            full_name,
            email,
            age: AgeText(age),
            city,
            bio_excerpt: bio.as_deref().map(excerpt),
            bio,
            joined: ReadableDate(created_at),
            joined_iso: Rfc3339(created_at),
        }
    }
}

impl From<&Student> for StudentView {
    fn from(student: &Student) -> Self {
        Self::from(student.clone())
    }
}

/// The first words of a long text, its runs of white space made single
/// spaces, cut after the last whole word that fits.
fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 90;
    let mut out = String::with_capacity(text.len().min(MAX_CHARS * 4) + 3);
    let mut chars = 0;
    for word in text.split_whitespace() {
        let word_chars = word.chars().count();
        let space = usize::from(!out.is_empty());
        if chars + space + word_chars > MAX_CHARS {
            if out.is_empty() {
                // One word longer than the excerpt: cut inside it.
                out.extend(word.chars().take(MAX_CHARS));
            }
            out.truncate(out.trim_end_matches([',', '.', ';', ':', ' ']).len());
            out.push('\u{2026}');
            return out;
        }
        if space == 1 {
            out.push(' ');
        }
        out.push_str(word);
        chars += space + word_chars;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bios_are_cut_at_a_word() {
        assert_eq!(excerpt("Short bio"), "Short bio");
        let long = "word ".repeat(40);
        let cut = excerpt(&long);
        assert!(
            cut.ends_with("word\u{2026}") && cut.chars().count() <= 91,
            "{cut}"
        );
    }

    #[test]
    fn excerpts_keep_every_whole_word_that_fits() {
        assert_eq!(excerpt("  Short \n\t bio  "), "Short bio");
        // Five-letter words: the first 15 and their spaces fill 89
        // characters, so the 16th (to 95) is the first left out, and the
        // last kept word's full stop goes before the ellipsis.
        let words: Vec<String> = (10..28).map(|n| format!("wd{n}.")).collect();
        let text = words.join(" ");
        let kept = words[..15].join(" ");
        assert_eq!(
            excerpt(&text),
            format!("{}\u{2026}", kept.trim_end_matches('.'))
        );
        // A word ending on the 90th character is kept whole.
        let exact = "x".repeat(85) + " abcd";
        assert_eq!(
            excerpt(&(exact.clone() + " more")),
            format!("{exact}\u{2026}")
        );
        // Punctuation left at the cut goes, and the space before it.
        let dots = format!("foo ... {}", "z".repeat(95));
        assert_eq!(excerpt(&dots), "foo\u{2026}");
        let long_word = "y".repeat(120);
        assert_eq!(excerpt(&long_word), format!("{}\u{2026}", "y".repeat(90)));
    }

    #[test]
    fn ages_read_as_words() {
        assert_eq!(AgeText(Some(1)).to_string(), "1 year old");
        assert_eq!(AgeText(Some(20)).to_string(), "20 years old");
        assert_eq!(AgeText(None).to_string(), "Age not given");
    }
}
