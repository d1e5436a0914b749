//! The student index's bulk actions. Ticking students and pressing "Enrol
//! selected in…" or "Delete selected…" asks (GET, nothing changes) for a
//! page that names the selected students: the enrol page adds a choice of
//! course and posts to `/enrolments/`; the delete page is the confirmation,
//! and posts here. Without JavaScript, like every page.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use serde::Deserialize;

use crate::courses::OpenCourse;
use crate::courses::queries as course_queries;
use crate::database::{Database, DbError};
use crate::format::{list_of, thousands};
use crate::pages::csrf::{CarriesCsrfToken, ProtectedForm};
use crate::pages::respond::{render, see_other};
use crate::pages::session::Editor;
use crate::pages::{AppError, Page};
use crate::students::queries::{self, DeletedMany};
use crate::students::{SaveError, Student};

/// The most students one bulk action takes: more than the largest index page.
pub const MAX_SELECTION: usize = 200;

/// What a bulk action button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BulkAction {
    Enrol,
    Delete,
}

/// The index's bulk-action form, as its query string: read leniently, like
/// the index's own query.
#[derive(Debug, Default)]
pub struct SelectionQuery {
    action: Option<String>,
    student_ids: Vec<i32>,
    /// An id that is not a whole number was sent (a tampered form).
    malformed: bool,
    back: Option<String>,
}

impl SelectionQuery {
    fn parse(query: &str) -> Self {
        let mut read = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "action" => {
                    read.action.get_or_insert_with(|| value.into_owned());
                }
                "back" => {
                    read.back.get_or_insert_with(|| value.into_owned());
                }
                "student_id" => match value.parse::<i32>() {
                    Ok(id) if !read.student_ids.contains(&id) => read.student_ids.push(id),
                    Ok(_) => {}
                    Err(_) => read.malformed = true,
                },
                _ => {}
            }
        }
        read
    }
}

impl FromRequest for SelectionQuery {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::parse(req.query_string())))
    }
}

/// Where a bulk action goes back to: the index page it came from, or the
/// index. Only the index's own addresses are followed.
fn back_to(back: Option<&str>) -> String {
    match back {
        Some(path)
            if (path == "/" || path.starts_with("/?"))
                && path.bytes().all(|byte| byte.is_ascii_graphic()) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A selected student as the confirmation pages list them.
pub struct SelectedStudent {
    pub id: i32,
    pub full_name: String,
    pub email: String,
}

impl From<&Student> for SelectedStudent {
    fn from(student: &Student) -> Self {
        Self {
            id: student.id,
            full_name: student.full_name(),
            email: student.email.clone(),
        }
    }
}

/// A course the selected students can be enrolled in.
pub struct CourseOption {
    pub id: i32,
    /// "BIO-101 Biology (3 seats left)".
    pub label: String,
}

impl From<&OpenCourse> for CourseOption {
    fn from(course: &OpenCourse) -> Self {
        let seats = match course.seats_left() {
            None => "no seat limit".to_owned(),
            Some(1) => "1 seat left".to_owned(),
            Some(left) => format!("{} seats left", thousands(left)),
        };
        Self {
            id: course.id,
            label: format!("{} {} ({seats})", course.code, course.title),
        }
    }
}

#[derive(Template)]
#[template(path = "students/selection_enrol.html")]
pub struct EnrolSelectionPage {
    pub page: Page,
    pub students: Vec<SelectedStudent>,
    pub courses: Vec<CourseOption>,
    pub back: String,
}

#[derive(Template)]
#[template(path = "students/selection_delete.html")]
pub struct DeleteSelectionPage {
    pub page: Page,
    pub students: Vec<SelectedStudent>,
    pub back: String,
}

impl DeleteSelectionPage {
    /// "Delete 3 students".
    pub fn button_label(&self) -> String {
        match self.students.len() {
            1 => "Delete 1 student".to_owned(),
            n => format!("Delete {n} students"),
        }
    }
}

/// `GET /selection/`: the page that names the ticked students, for the
/// action asked for.
pub async fn selection(
    _editor: Editor,
    db: web::Data<Database>,
    page: Page,
    query: SelectionQuery,
) -> Result<HttpResponse, AppError> {
    let back = back_to(query.back.as_deref());
    let action = match query.action.as_deref() {
        Some("enrol") => BulkAction::Enrol,
        Some("delete") => BulkAction::Delete,
        _ => {
            return Err(AppError::BadRequest(
                "The form did not say what to do with the selected students. Go back and press one of the buttons.".into(),
            ));
        }
    };
    let ids = checked_selection(query.student_ids, query.malformed)?;
    if ids.is_empty() {
        FlashMessage::error("Tick at least one student first.").send();
        return Ok(see_other(&back));
    }
    let (found, courses) = db
        .run(move |conn| {
            let found = queries::find_many(conn, &ids)?;
            let courses = match action {
                BulkAction::Enrol if !found.is_empty() => course_queries::with_seats_left(conn)?,
                _ => Vec::new(),
            };
            Ok::<_, DbError>((found, courses))
        })
        .await?;
    if found.is_empty() {
        FlashMessage::error("None of the selected students exists any more.").send();
        return Ok(see_other(&back));
    }
    let students = found.iter().map(SelectedStudent::from).collect();
    match action {
        BulkAction::Enrol => render(
            StatusCode::OK,
            &EnrolSelectionPage {
                page,
                students,
                courses: courses.iter().map(CourseOption::from).collect(),
                back,
            },
        ),
        BulkAction::Delete => render(
            StatusCode::OK,
            &DeleteSelectionPage {
                page,
                students,
                back,
            },
        ),
    }
}

/// The confirmation page's form.
#[derive(Debug, Deserialize)]
pub struct BulkDeleteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    student_id: Vec<i32>,
    #[serde(default)]
    back: String,
}

impl CarriesCsrfToken for BulkDeleteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// `POST /selection/delete/`: deletes the confirmed students, all in one
/// transaction, so a database that refuses part of it leaves every one of
/// them in place.
pub async fn delete(
    editor: Editor,
    db: web::Data<Database>,
    form: ProtectedForm<BulkDeleteForm>,
) -> Result<HttpResponse, AppError> {
    let BulkDeleteForm {
        student_id, back, ..
    } = form.0;
    let back = back_to(Some(&back));
    let mut ids = student_id;
    ids.sort_unstable();
    ids.dedup();
    let ids = checked_selection(ids, false)?;
    if ids.is_empty() {
        FlashMessage::error("Tick at least one student first.").send();
        return Ok(see_other(&back));
    }
    let actor = editor.0.actor();
    let DeletedMany { deleted, missing } = db
        .write(move |conn| queries::delete_many(conn, &actor, &ids))
        .await
        .map_err(|err: SaveError| AppError::from(err))?;
    let names: Vec<String> = deleted.iter().map(Student::full_name).collect();
    match deleted.len() {
        0 => {}
        1 => FlashMessage::success(format!("Student {} deleted", names[0])).send(),
        n => FlashMessage::success(format!("{n} students deleted: {}", list_of(&names))).send(),
    }
    match missing.len() {
        0 => {}
        1 => FlashMessage::info("1 of the selected students had already been deleted.").send(),
        n => FlashMessage::info(format!(
            "{n} of the selected students had already been deleted."
        ))
        .send(),
    }
    Ok(see_other(&back))
}

/// The selected ids, refused when unreadable or more than one action takes.
fn checked_selection(ids: Vec<i32>, malformed: bool) -> Result<Vec<i32>, AppError> {
    if malformed {
        return Err(AppError::BadRequest(
            "The selection could not be read. Go back, tick the students again and retry.".into(),
        ));
    }
    if ids.len() > MAX_SELECTION {
        return Err(AppError::BadRequest(format!(
            "At most {MAX_SELECTION} students can be handled at once; select fewer."
        )));
    }
    Ok(ids)
}
