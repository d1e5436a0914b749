//! A course's page, the create/edit form and the page of a refused delete:
//! their templates and the view models they display. Rendered with HTML
//! escaping on; nothing is marked safe.

use askama::Template;
use askama_web::WebTemplate;
use chrono::{NaiveDate, NaiveTime};

use crate::courses::listing::{ClassListParams, ClassSortKey};
use crate::courses::queries::{Candidate, ClassList, ClassMember, CourseWithSeats};
use crate::courses::validation::{
    CAPACITY_MIN, CODE_MAX, CREDITS_MAX, CREDITS_MIN, DESCRIPTION_MAX, TITLE_MAX,
};
use crate::courses::{Course, CourseDraft, EnrolmentStatus, Field, FieldErrors};
use crate::format::{iso_date, readable_date, thousands};
use crate::pages::Page;
use crate::pages::field::InputField;
use crate::pages::history::EventView;
use crate::pages::listing::{PageLink, SortHeader, page_links, past_end_notice, rows_shown};
use crate::pages::record_form::RecordForm;

/// A course as the pages show it.
pub struct CourseView {
    pub id: i32,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    /// "5 credits", or "Not given".
    pub credits: String,
    /// "30 seats" or "Unlimited".
    pub capacity: String,
    /// "12 / 30" or "3 / unlimited".
    pub enrolled: String,
    /// "12 taken, 18 left", "3 taken, no limit", "30 taken, full".
    pub seats: String,
    pub full: bool,
}

impl From<&CourseWithSeats> for CourseView {
    fn from(with_seats: &CourseWithSeats) -> Self {
        // No `..`: a new field of the record does not compile here until the
        // pages decide how to show it.
        let Course {
            id,
            code,
            title,
            description,
            credits,
            capacity,
            enrolled_count: _,
            version: _,
            created_at: _,
            updated_at: _,
        } = &with_seats.course;
        let taken = thousands(with_seats.enrolled);
        let left = with_seats.seats_left();
        Self {
            id: *id,
            code: code.clone(),
            title: title.clone(),
            description: description.clone(),
            credits: match credits {
                Some(1) => "1 credit".into(),
                Some(n) => format!("{n} credits"),
                None => "Not given".into(),
            },
            capacity: match capacity {
                Some(1) => "1 seat".into(),
                Some(n) => format!("{} seats", thousands(i64::from(*n))),
                None => "Unlimited".into(),
            },
            enrolled: match capacity {
                Some(n) => format!("{taken} / {}", thousands(i64::from(*n))),
                None => format!("{taken} / unlimited"),
            },
            seats: match left {
                None => format!("{taken} taken, no limit"),
                Some(0) => format!("{taken} taken, full"),
                Some(left) => format!("{taken} taken, {} left", thousands(left)),
            },
            full: left == Some(0),
        }
    }
}

impl From<&Course> for CourseView {
    fn from(course: &Course) -> Self {
        Self::from(&CourseWithSeats::from(course.clone()))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "courses/show.html")]
pub struct CoursePage {
    pub page: Page,
    pub course: CourseView,
    /// Its audit history, newest first.
    pub events: Vec<EventView>,
    pub members: Vec<MemberView>,
    /// The class list's paging and sorting; `listing` for the pagination
    /// partial.
    pub listing: ClassListView,
    /// The "Add students" search, when one was made (editors only).
    pub search: Option<CandidateSearch>,
}

/// "12 May 2026".
fn day(date: &NaiveDate) -> String {
    readable_date(&date.and_time(NaiveTime::MIN))
}

/// One row of the class list.
pub struct MemberView {
    pub enrolment_id: i32,
    pub student_id: i32,
    pub name: String,
    pub email: String,
    /// "Enrolled", "Withdrawn on 3 Mar 2026", "Completed".
    pub status: String,
    pub status_class: &'static str,
    pub enrolled_on: String,
    pub enrolled_on_iso: String,
    pub is_enrolled: bool,
}

impl From<&ClassMember> for MemberView {
    fn from(member: &ClassMember) -> Self {
        let enrolment = &member.enrolment;
        let student = &member.student;
        Self {
            enrolment_id: enrolment.id,
            student_id: student.id,
            name: format!("{} {}", student.firstname, student.lastname),
            email: student.email.clone(),
            status: match (enrolment.status, enrolment.withdrawn_on) {
                (EnrolmentStatus::Withdrawn, Some(on)) => format!("Withdrawn on {}", day(&on)),
                (EnrolmentStatus::Withdrawn, None) => "Withdrawn".into(),
                (EnrolmentStatus::Enrolled, _) => "Enrolled".into(),
                (EnrolmentStatus::Completed, _) => "Completed".into(),
            },
            status_class: match enrolment.status {
                EnrolmentStatus::Enrolled => "status-enrolled",
                EnrolmentStatus::Withdrawn => "status-withdrawn",
                EnrolmentStatus::Completed => "status-completed",
            },
            enrolled_on: day(&enrolment.enrolled_on),
            enrolled_on_iso: iso_date(&enrolment.enrolled_on),
            is_enrolled: enrolment.status == EnrolmentStatus::Enrolled,
        }
    }
}

/// Everything around the class list's rows: sorting and paging.
pub struct ClassListView {
    /// "Showing 1–25 of 40 students".
    pub summary: String,
    pub notice: Option<String>,
    pub name_header: SortHeader,
    pub enrolled_header: SortHeader,
    pub pages: Vec<PageLink>,
    /// Hidden inputs that keep the class list's order and page size when
    /// the "Add students" search is submitted.
    pub kept_params: Vec<(&'static str, String)>,
}

impl ClassListView {
    pub fn new(course_id: i32, params: &ClassListParams, list: &ClassList) -> Self {
        let pagination = &list.pagination;
        let header = |label, key| {
            SortHeader::new(label, params.sort == key, params.direction, |direction| {
                let sorted = ClassListParams {
                    sort: key,
                    direction,
                    page: 1,
                    ..*params
                };
                class_url(course_id, &sorted, 1)
            })
        };
        let total = pagination.total;
        Self {
            summary: format!(
                "Showing {} of {} {}",
                rows_shown(pagination),
                thousands(total),
                if total == 1 { "student" } else { "students" }
            ),
            notice: past_end_notice(pagination),
            name_header: header("Name", ClassSortKey::Name),
            enrolled_header: header("Enrolled on", ClassSortKey::Enrolled),
            pages: page_links(pagination, |page| class_url(course_id, params, page)),
            kept_params: params.kept_params(),
        }
    }
}

/// A course page's URL for a page of its class list; defaults left out.
fn class_url(course_id: i32, params: &ClassListParams, page: i64) -> String {
    match params.query_string((page != 1).then_some(page)) {
        query if query.is_empty() => format!("/courses/{course_id}/#class-list"),
        query => format!("/courses/{course_id}/?{query}#class-list"),
    }
}

/// The "Add students" search and the students it found.
pub struct CandidateSearch {
    pub term: String,
    pub candidates: Vec<CandidateView>,
    /// Whether more students matched than are listed.
    pub more: bool,
}

pub struct CandidateView {
    pub id: i32,
    pub name: String,
    pub email: String,
    /// Why the student cannot be chosen ("already enrolled"), if so.
    pub already: Option<&'static str>,
    /// "withdrawn", "completed": enrolling makes them enrolled again.
    pub note: Option<&'static str>,
}

impl From<&Candidate> for CandidateView {
    fn from(candidate: &Candidate) -> Self {
        let student = &candidate.student;
        Self {
            id: student.id,
            name: format!("{} {}", student.firstname, student.lastname),
            email: student.email.clone(),
            already: (candidate.status == Some(EnrolmentStatus::Enrolled))
                .then_some("already enrolled"),
            note: match candidate.status {
                Some(EnrolmentStatus::Withdrawn) => Some("withdrawn earlier"),
                Some(EnrolmentStatus::Completed) => Some("completed earlier"),
                _ => None,
            },
        }
    }
}

/// The create and the edit page: the shared record form, and the stored
/// course when an edit met someone else's.
#[derive(Template)]
#[template(path = "courses/form.html")]
pub struct CourseFormPage {
    pub page: Page,
    pub form: RecordForm,
    /// Shown when someone else saved the course while this form was open.
    pub conflict: Option<CourseView>,
}

impl CourseFormPage {
    pub fn create(page: Page, draft: &CourseDraft, errors: &FieldErrors) -> Self {
        Self {
            page,
            form: RecordForm::create("course", "/courses", fields(draft, errors)),
            conflict: None,
        }
    }

    pub fn edit(
        page: Page,
        id: i32,
        version: i32,
        draft: &CourseDraft,
        errors: &FieldErrors,
    ) -> Self {
        let code = draft.code.trim();
        let heading = if code.is_empty() {
            "Edit course".into()
        } else {
            format!("Edit {code}")
        };
        Self {
            page,
            form: RecordForm::edit(
                "course",
                "/courses",
                id,
                version,
                heading,
                fields(draft, errors),
            ),
            conflict: None,
        }
    }

    /// For the error summary partial.
    pub fn problem_count(&self) -> String {
        self.form.problem_count()
    }
}

/// The course form's inputs, with what the user typed and their messages.
fn fields(draft: &CourseDraft, errors: &FieldErrors) -> Vec<InputField> {
    Field::ALL
        .into_iter()
        .map(|field| {
            let (value, hint, required) = match field {
                Field::Code => (
                    &draft.code,
                    format!(
                        "Required and unique, up to {CODE_MAX} letters, digits and hyphens, like BIO-101."
                    ),
                    true,
                ),
                Field::Title => (
                    &draft.title,
                    format!("Required, up to {TITLE_MAX} characters."),
                    true,
                ),
                Field::Description => (
                    &draft.description,
                    format!("Optional, up to {} characters.", thousands(DESCRIPTION_MAX as i64)),
                    false,
                ),
                Field::Credits => (
                    &draft.credits,
                    format!("Optional, a whole number from {CREDITS_MIN} to {CREDITS_MAX}."),
                    false,
                ),
                Field::Capacity => (
                    &draft.capacity,
                    format!(
                        "Optional: the most students enrolled at once, {CAPACITY_MIN} or more. Leave it empty for no limit."
                    ),
                    false,
                ),
            };
            let input = InputField::new(field.name(), field.label(), "text")
                .hint(hint)
                .required(required)
                .value(value)
                .error(errors.get(field).map(str::to_owned));
            match field {
                Field::Credits | Field::Capacity => input.numeric(),
                Field::Description => input.multiline(),
                Field::Code | Field::Title => input,
            }
        })
        .collect()
}

/// The answer to deleting a course that has enrolments.
#[derive(Template)]
#[template(path = "courses/delete_refused.html")]
pub struct DeleteRefusedPage {
    pub page: Page,
    pub course: CourseView,
    /// "3 enrolments".
    pub enrolments: String,
}

impl DeleteRefusedPage {
    pub fn new(page: Page, course: &Course, count: i64) -> Self {
        Self {
            page,
            course: CourseView::from(course),
            enrolments: match count {
                1 => "1 enrolment".into(),
                n => format!("{} enrolments", thousands(n)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_list_links_keep_order_and_size_and_drop_defaults() {
        let params = ClassListParams::parse(Some("enrolled"), Some("desc"), None, Some("10"));
        assert_eq!(
            class_url(7, &params, 3),
            "/courses/7/?sort=enrolled&dir=desc&per_page=10&page=3#class-list"
        );
        assert_eq!(
            class_url(7, &ClassListParams::default(), 1),
            "/courses/7/#class-list"
        );
    }
}
