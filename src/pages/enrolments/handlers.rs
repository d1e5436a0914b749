//! `POST /enrolments/` and `POST /enrolments/{id}/status/`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use chrono::Utc;

use super::forms::{EnrolForm, MAX_STUDENTS, ReturnTo, StatusForm};
use super::views::{Batch, Stop, StoppedPage};
use crate::courses::queries;
use crate::courses::{EnrolError, EnrolQueue, EnrolmentStatus, SeatRequest};
use crate::database::{Database, DbError};
use crate::http::{DbErrorKind, ServiceFailure};
use crate::pages::csrf::ProtectedForm;
use crate::pages::respond::{render, see_other};
use crate::pages::session::Editor;
use crate::pages::{AppError, Page};

/// Enrols each student chosen, one after another, each committed before the
/// next (through the course's [`EnrolQueue`]), and answers with one line per
/// kind of outcome.
pub async fn enrol(
    editor: Editor,
    db: web::Data<Database>,
    queue: web::Data<EnrolQueue>,
    page: Page,
    form: ProtectedForm<EnrolForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let students = form.student_ids();
    let Some(course_id) = form.course_id else {
        // The course list's placeholder: back to where a course is chosen.
        FlashMessage::error("No course was chosen: choose the course to enrol in.").send();
        let back = match (form.return_to(), students.as_slice()) {
            (ReturnTo::Student, [student]) => format!("/{student}/"),
            _ => "/".to_owned(),
        };
        return Ok(see_other(&back));
    };
    let course_page = format!("/courses/{course_id}/");
    if students.is_empty() {
        FlashMessage::error("No student was chosen: choose at least one student to enrol.").send();
        return Ok(see_other(&course_page));
    }
    if students.len() > MAX_STUDENTS {
        return Err(AppError::BadRequest(format!(
            "At most {MAX_STUDENTS} students can be enrolled at once; {} were chosen. Choose fewer and try again.",
            students.len()
        )));
    }
    let actor = editor.0.actor();
    // One student at a time: each answer (and commit) before the next, so
    // those enrolled before a failure are stored and said to be. Each group
    // says what it found of the course and the student, for the answer.
    let mut course = None;
    let mut named = Vec::with_capacity(students.len());
    let mut answers = Vec::with_capacity(students.len());
    for &student_id in &students {
        let request = SeatRequest {
            student_id,
            actor: actor.clone(),
        };
        let seated = queue.enrol(course_id, request).await;
        course = seated.course.or(course);
        named.extend(seated.student);
        let stops = matches!(
            seated.answer,
            Err(EnrolError::NoSuchCourse | EnrolError::Database(_))
        );
        answers.push((student_id, seated.answer));
        if stops {
            break;
        }
    }
    let not_tried = &students[answers.len()..];
    if course.is_none() || !not_tried.is_empty() {
        // Stopped, or never found the course: read what the page must name
        // (best effort: a database that just failed may fail this too, and
        // the page then names students by number).
        let unnamed: Vec<i32> = students
            .iter()
            .copied()
            .filter(|id| !named.iter().any(|student| student.id == *id))
            .collect();
        let read = db
            .run(move |conn| {
                let course = queries::find(conn, course_id)?;
                Ok::<_, DbError>((course, queries::students_named(conn, &unnamed)?))
            })
            .await;
        match read {
            Ok((found, more)) => {
                course = course.or(found);
                named.extend(more);
            }
            Err(err) if course.is_none() => return Err(err.into()),
            Err(_) => {}
        }
    }
    let course = course.ok_or(AppError::NotFound)?;
    let mut batch = Batch::new(course, named);
    for (student_id, answer) in answers {
        batch.record(student_id, answer);
    }
    batch.not_tried.extend_from_slice(not_tried);
    match batch.stop {
        None => {
            for (kind, line) in batch.lines() {
                match kind {
                    "success" => FlashMessage::success(line),
                    "info" => FlashMessage::info(line),
                    _ => FlashMessage::error(line),
                }
                .send();
            }
            let back = match (form.return_to(), students.as_slice()) {
                (ReturnTo::Student, [student]) => format!("/{student}/"),
                _ => course_page,
            };
            Ok(see_other(&back))
        }
        // Deleted before anyone was enrolled: as if it never was.
        Some(Stop::CourseGone) if batch.enrolled.is_empty() => Err(AppError::NotFound),
        Some(_) => stopped(page, batch),
    }
}

/// The page for a batch that stopped part-way: which students are stored
/// and which are not.
fn stopped(page: Page, mut batch: Batch) -> Result<HttpResponse, AppError> {
    let (status, reason, kind) = match batch.stop.take() {
        Some(Stop::Database(err)) => {
            // Logged as any failed write is; the page says what was stored.
            let kind = match ServiceFailure::classify(err) {
                Ok(failure) => {
                    let kind = failure.kind();
                    tracing::error!("{:?}", AppError::from(failure));
                    kind
                }
                Err(err) => {
                    tracing::error!("{:?}", AppError::from(err));
                    DbErrorKind::Other
                }
            };
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The database stopped answering part-way. The students listed as enrolled are stored; the others are not. Please try again for them.",
                Some(kind),
            )
        }
        _ => (
            StatusCode::NOT_FOUND,
            "The course was deleted while its students were being enrolled.",
            None,
        ),
    };
    let stopped = StoppedPage {
        page,
        status: status.as_u16(),
        course_id: batch.course.id,
        code: batch.course.code.clone(),
        heading: "Not every student was enrolled",
        reason,
        lines: batch.lines(),
        not_enrolled: batch.not_tried_names(),
    };
    render(status, &stopped).map(|response| match kind {
        Some(kind) => kind.mark(response),
        None => response,
    })
}

/// Withdraws, completes or re-enrols one enrolment.
pub async fn set_status(
    editor: Editor,
    db: web::Data<Database>,
    id: web::Path<i32>,
    form: ProtectedForm<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.0;
    let status = EnrolmentStatus::parse(form.status.trim()).ok_or_else(|| {
        AppError::BadRequest(
            "The form asked for an enrolment status that does not exist: it must be enrolled, withdrawn or completed."
                .into(),
        )
    })?;
    let actor = editor.0.actor();
    let today = Utc::now().date_naive();
    let (parties, result) = db
        .write(move |conn| {
            let Some(parties) = queries::enrolment_parties(conn, id)? else {
                return Ok(None);
            };
            let result = queries::set_status(conn, &actor, id, status, today);
            Ok::<_, DbError>(Some((parties, result)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let (_, student, course) = parties;
    let name = format!("{} {}", student.firstname, student.lastname);
    let code = &course.code;
    match result {
        Ok(_) | Err(EnrolError::AlreadyEnrolled) => FlashMessage::success(match status {
            EnrolmentStatus::Withdrawn => format!("{name} withdrawn from {code}"),
            EnrolmentStatus::Completed => format!("{name} marked as having completed {code}"),
            EnrolmentStatus::Enrolled => format!("{name} enrolled in {code} again"),
        })
        .send(),
        Err(EnrolError::CourseFull { capacity }) => FlashMessage::error(format!(
            "{name} was not enrolled in {code} again: it is full ({capacity} {}).",
            if capacity == 1 { "seat" } else { "seats" }
        ))
        .send(),
        Err(EnrolError::NoSuchEnrolment | EnrolError::NoSuchStudent | EnrolError::NoSuchCourse) => {
            return Err(AppError::NotFound);
        }
        Err(EnrolError::Database(err)) => return Err(err.into()),
    }
    Ok(see_other(&match form.return_to() {
        ReturnTo::Student => format!("/{}/", student.id),
        ReturnTo::Course => format!("/courses/{}/", course.id),
    }))
}
