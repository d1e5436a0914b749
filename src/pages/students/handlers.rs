//! The student pages: index, detail, create, edit, delete.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;

use super::forms::{IndexQuery, StudentForm, StudentQuery};
use super::index::{CourseRead, IndexPage, IndexRow, ListingView, PageStart};
use super::selection::CourseOption;
use super::views::{EnrolOffer, EnrolmentView, StudentFormPage, StudentPage, StudentView};
use crate::accounts::Role;
use crate::audit::AuditEvent;
use crate::courses::OpenCourse;
use crate::courses::queries as course_queries;
use crate::database::{Database, DbConnection, DbError};
use crate::http::{DbErrorKind, ServiceFailure};
use crate::pages::csrf::{ButtonForm, ProtectedForm};
use crate::pages::history::EventView;
use crate::pages::record_form;
use crate::pages::respond::{render, render_sized, see_other};
use crate::pages::session::Editor;
use crate::pages::session::read_ahead::{self, ReadAhead};
use crate::pages::{AppError, Page};
use crate::pagination::Pagination;
use crate::students::listing::ListParams;
use crate::students::listing::{SEARCH_NEEDS_WORDS, SEARCH_TOO_BROAD};
use crate::students::queries::IfUnchanged;
use crate::students::queries::PageRead;
use crate::students::{self, FieldErrors, SaveError, StudentDraft, queries};

/// Reads a page of the index with the session (see `session::read_ahead`).
pub fn read_ahead_index(req: &HttpRequest) -> Option<ReadAhead> {
    let params =
        PageStart::parse(req.query_string()).apply(IndexQuery::parse(req.query_string()).params());
    if params.search.is_some() {
        return None;
    }
    Some(ReadAhead::new(move |conn, _role| {
        let read = queries::list_with_course(conn, &params);
        (params, read)
    }))
}

pub async fn index(
    db: web::Data<Database>,
    page: Page,
    query: IndexQuery,
    start: PageStart,
) -> Result<HttpResponse, AppError> {
    let params = start.apply(query.params());
    // A search that is refused keeps the term in the box, with what to do
    // instead of a list.
    let refused = |problem, page| {
        let empty = Pagination::new(1, params.per_page, 0);
        let mut listing = ListingView::new(&params, &empty, CourseRead::NotRead, &[]);
        listing.search_problem = Some(problem);
        IndexPage {
            page,
            listing,
            rows: Vec::new(),
        }
    };
    let search = params.search.as_deref();
    if search.is_some_and(|term| !queries::is_searchable(term)) {
        return render(StatusCode::OK, &refused(SEARCH_NEEDS_WORDS, page));
    }
    let list = match read_ahead::take(&params) {
        Some(read) => read,
        None => {
            let listed = params.clone();
            students::read_listing(&db, search.is_some(), move |conn| {
                queries::list_with_course(conn, &listed)
            })
            .await
        }
    };
    let (list, course) = match list {
        Ok(found) => found,
        // 503, as for any request the server declined to finish: clients and
        // crawlers do not take the page for a result, and the same search
        // may pass when the server is less busy.
        Err(err @ DbError::TooSlow(_)) if search.is_some() => {
            tracing::warn!("{:?}", AppError::from(ServiceFailure::TooSlow(err)));
            return render(
                StatusCode::SERVICE_UNAVAILABLE,
                &refused(SEARCH_TOO_BROAD, page),
            )
            .map(|response| DbErrorKind::TooSlow.mark(response));
        }
        Err(err) => return Err(err.into()),
    };
    // The page's own links and "here" carry its cursor only when the page
    // was read from it.
    let params = match list.read {
        PageRead::FromCursor => params,
        PageRead::Counted | PageRead::NothingAfterCursor => ListParams {
            cursor: None,
            ..params
        },
    };
    let course = course
        .as_ref()
        .map_or(CourseRead::Missing, CourseRead::Found);
    let mut listing = ListingView::new(&params, &list.pagination, course, &list.students);
    if list.read == PageRead::NothingAfterCursor {
        listing.notice = Some(format!(
            "No students follow the ones you saw: the list has changed since. \
             This is the last page, {}.",
            list.pagination.last_page()
        ));
    }
    let rows = list
        .students
        .into_iter()
        .map(|student| IndexRow {
            courses: student.current_courses,
            student: StudentView::from(student),
        })
        .collect();
    let index = IndexPage {
        page,
        listing,
        rows,
    };
    render_sized(StatusCode::OK, &index, index.expected_len())
}

/// The most recent changes a student's page shows; admins see every one in
/// the activity log.
const HISTORY_LENGTH: i64 = 50;

/// The enrol form lists every open course up to this many; beyond, it
/// searches them (a school with a thousand courses would otherwise send a
/// thousand options with every student's page).
const ENROL_LIST_LIMIT: i64 = 50;

/// The most courses an enrol form's search lists.
const COURSE_MATCHES: i64 = 20;

/// What a student's page reads: the student, and what the page shows of
/// them to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowKey {
    id: i32,
    /// Editors get the enrol form, with the courses it offers.
    offers_enrolment: bool,
    /// The enrol form's course search.
    term: Option<String>,
}

/// The student, their enrolments, the courses the enrol form offers and
/// their history; `None`: no such student.
type ShowData = Option<(
    students::Student,
    Vec<course_queries::StudentCourse>,
    Option<Vec<OpenCourse>>,
    Vec<AuditEvent>,
)>;

/// Reads a student's page with the session (see `session::read_ahead`).
pub fn read_ahead_show(req: &HttpRequest, id: i32) -> ReadAhead {
    let term = StudentQuery::parse(req.query_string()).find_course();
    ReadAhead::new(move |conn, role| {
        let key = ShowKey {
            id,
            offers_enrolment: role >= Role::Editor,
            term,
        };
        let read = read_show(conn, &key);
        (key, read)
    })
}

fn read_show(conn: &mut DbConnection, key: &ShowKey) -> Result<ShowData, DbError> {
    // Past the limit, an unsearched form lists nothing: `open_courses` is
    // then `None`, a search box instead of a partial list that hides the
    // rest.
    let list_open = (key.offers_enrolment && key.term.is_none()).then_some(ENROL_LIST_LIMIT);
    let Some(read) = course_queries::student_page(conn, key.id, list_open, HISTORY_LENGTH)? else {
        return Ok(None);
    };
    let open_courses = match (key.offers_enrolment, key.term.as_deref()) {
        (true, Some(term)) => {
            let current = course_queries::current_course_ids(&read.courses);
            // One more than listed tells whether there are more.
            Some(course_queries::open_to_student_matching(
                conn,
                &current,
                term,
                COURSE_MATCHES + 1,
            )?)
        }
        _ => read.open_courses,
    };
    Ok(Some((
        read.student,
        read.courses,
        open_courses,
        read.events,
    )))
}

pub async fn show(
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
    query: StudentQuery,
) -> Result<StudentPage, AppError> {
    let key = ShowKey {
        id: id.into_inner(),
        offers_enrolment: page.can_edit(),
        term: query.find_course(),
    };
    let read = match read_ahead::take(&key) {
        Some(read) => read?,
        None => {
            let key = key.clone();
            db.run(move |conn| read_show(conn, &key)).await?
        }
    };
    let (student, enrolments, open_courses, events) = read.ok_or(AppError::NotFound)?;
    let term = key.term;
    let offer = match (term, open_courses) {
        (None, Some(courses)) => EnrolOffer {
            by_search: false,
            term: None,
            courses: courses.iter().map(CourseOption::from).collect(),
            more: false,
        },
        // Past the limit, an unsearched form lists nothing: a search box
        // instead of a partial list that hides the rest.
        (None, None) => EnrolOffer {
            by_search: true,
            term: None,
            courses: Vec::new(),
            more: false,
        },
        (Some(term), matches) => {
            let matches = matches.unwrap_or_default();
            EnrolOffer {
                by_search: true,
                more: matches.len() > COURSE_MATCHES as usize,
                courses: matches
                    .iter()
                    .take(COURSE_MATCHES as usize)
                    .map(CourseOption::from)
                    .collect(),
                term: Some(term),
            }
        }
    };
    Ok(StudentPage {
        page,
        student: StudentView::from(&student),
        offer,
        enrolments: enrolments.iter().map(EnrolmentView::from).collect(),
        events: events.iter().map(EventView::new).collect(),
    })
}

pub async fn new_form(_editor: Editor, page: Page) -> Result<HttpResponse, AppError> {
    let form = StudentFormPage::create(page, &StudentDraft::default(), &FieldErrors::default());
    render(StatusCode::OK, &form)
}

pub async fn create(
    editor: Editor,
    db: web::Data<Database>,
    page: Page,
    form: ProtectedForm<StudentForm>,
) -> Result<HttpResponse, AppError> {
    let draft = form.0.draft;
    let details = match draft.validate() {
        Ok(details) => details,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &StudentFormPage::create(page, &draft, &errors),
            );
        }
    };
    let actor = editor.0.actor();
    match db
        .write(move |conn| queries::create(conn, &actor, &details))
        .await
    {
        Ok(student) => {
            FlashMessage::success(format!("Student {} added", student.full_name())).send();
            Ok(see_other(&format!("/{}/", student.id)))
        }
        Err(SaveError::EmailTaken) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &StudentFormPage::create(page, &draft, &FieldErrors::email_taken()),
        ),
        Err(SaveError::Database(err)) if err.is_not_saved() => not_saved(
            StudentFormPage::create(page, &draft, &FieldErrors::default()),
            err,
        ),
        Err(other) => Err(other.into()),
    }
}

pub async fn edit_form(
    _editor: Editor,
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let student = db
        .run(move |conn| queries::find(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let form = StudentFormPage::edit(
        page,
        id,
        student.version,
        &StudentDraft::from(&student),
        &FieldErrors::default(),
    );
    render(StatusCode::OK, &form)
}

pub async fn update(
    editor: Editor,
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
    form: ProtectedForm<StudentForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let version = form.0.version("student")?;
    let draft = form.0.draft;
    let details = match draft.validate() {
        Ok(details) => details,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &StudentFormPage::edit(page, id, version, &draft, &errors),
            );
        }
    };
    let actor = editor.0.actor();
    match db
        .write(move |conn| {
            queries::update(
                conn,
                &actor,
                id,
                Some(&[version]),
                IfUnchanged::Save,
                |_| Ok(details),
            )
        })
        .await
    {
        Ok(student) => {
            FlashMessage::success(format!("Student {} updated", student.full_name())).send();
            Ok(see_other(&format!("/{id}/")))
        }
        Err(SaveError::EmailTaken) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &StudentFormPage::edit(page, id, version, &draft, &FieldErrors::email_taken()),
        ),
        Err(SaveError::Stale { current }) => {
            // Keep what the user typed, and base it on the stored version, so
            // saving again is a deliberate choice to replace what is there.
            let mut form =
                StudentFormPage::edit(page, id, current.version, &draft, &FieldErrors::default());
            form.conflict = Some(StudentView::from(current.as_ref()));
            render(StatusCode::CONFLICT, &form)
        }
        Err(SaveError::Database(err)) if err.is_not_saved() => not_saved(
            StudentFormPage::edit(page, id, version, &draft, &FieldErrors::default()),
            err,
        ),
        Err(other) => Err(other.into()),
    }
}

pub async fn delete(
    editor: Editor,
    db: web::Data<Database>,
    id: web::Path<i32>,
    _form: ProtectedForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let actor = editor.0.actor();
    let student = db
        .write(move |conn| queries::delete(conn, &actor, id, None))
        .await?;
    FlashMessage::success(format!("Student {} deleted", student.full_name())).send();
    Ok(see_other("/"))
}

/// The form again with the "not saved" notice, and a 503.
fn not_saved(mut form: StudentFormPage, err: DbError) -> Result<HttpResponse, AppError> {
    form.form.not_saved = true;
    record_form::not_saved(&form, err)
}
