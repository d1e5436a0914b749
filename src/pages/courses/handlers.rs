//! The course pages: list, course page, create, edit, delete.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;

use super::forms::{CourseForm, Query};
use super::index::{IndexPage, ListingView};
use super::views::{
    CandidateSearch, CandidateView, ClassListView, CourseFormPage, CoursePage, CourseView,
    DeleteRefusedPage, MemberView,
};
use crate::audit::AuditEvent;
use crate::courses::Course;
use crate::courses::listing::ClassListParams;
use crate::courses::queries::{self, ClassList, IfUnchanged};
use crate::courses::{CourseDraft, CourseSaveError, FieldErrors};
use crate::database::{Database, DbConnection, DbError};
use crate::pages::csrf::{ButtonForm, ProtectedForm};
use crate::pages::history::EventView;
use crate::pages::record_form;
use crate::pages::respond::{render, see_other};
use crate::pages::session::Editor;
use crate::pages::session::read_ahead::{self, ReadAhead};
use crate::pages::{AppError, Page};

/// Reads a page of the course list with the session (see
/// `session::read_ahead`); not a search, which waits for a search lane.
pub fn read_ahead_index(req: &HttpRequest) -> Option<ReadAhead> {
    let params = Query::parse(req.query_string()).list_params();
    if params.search.is_some() {
        return None;
    }
    Some(ReadAhead::new(move |conn, _role| {
        let read = queries::list(conn, &params);
        (params, read)
    }))
}

pub async fn index(
    db: web::Data<Database>,
    page: Page,
    query: Query,
) -> Result<HttpResponse, AppError> {
    let params = query.list_params();
    let list = match read_ahead::take(&params) {
        Some(read) => read?,
        None => {
            let searching = params.search.is_some();
            let params = params.clone();
            let work = move |conn: &mut _| queries::list(conn, &params);
            // A search's cost is the client's choice: it waits for a search
            // lane, as the student list's does.
            if searching {
                db.run_search(work).await?
            } else {
                db.run(work).await?
            }
        }
    };
    render(
        StatusCode::OK,
        &IndexPage {
            page,
            listing: ListingView::new(&params, &list.pagination),
            courses: list.courses.iter().map(CourseView::from).collect(),
        },
    )
}

/// The most recent changes a course's page shows; admins see every one in
/// the activity log.
const HISTORY_LENGTH: i64 = 50;

/// The most students the "Add students" search lists.
const CANDIDATES: i64 = 20;

/// What a course's page reads: the course, and a page of its class list.
type ShowKey = (i32, ClassListParams);

/// The course, its history and the page of its class list; `None`: no such
/// course.
type ShowData = Option<(Course, Vec<AuditEvent>, ClassList)>;

/// Reads a course's page with the session (see `session::read_ahead`). The
/// "Add students" search, when there is one, is read after.
pub fn read_ahead_show(req: &HttpRequest, id: i32) -> ReadAhead {
    let key = (id, Query::parse(req.query_string()).class_params());
    ReadAhead::new(move |conn, _role| {
        let read = read_show(conn, &key);
        (key, read)
    })
}

fn read_show(conn: &mut DbConnection, &(id, params): &ShowKey) -> Result<ShowData, DbError> {
    Ok(queries::course_page(conn, id, HISTORY_LENGTH, &params)?
        .map(|page| (page.course, page.events, page.class)))
}

pub async fn show(
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
    query: Query,
) -> Result<CoursePage, AppError> {
    let id = id.into_inner();
    let params = query.class_params();
    let key = (id, params);
    let read = match read_ahead::take(&key) {
        Some(read) => read?,
        None => db.run(move |conn| read_show(conn, &key)).await?,
    };
    let (course, events, class) = read.ok_or(AppError::NotFound)?;
    // Only editors can enrol, so only they search for whom.
    let search = match query.find().filter(|_| page.can_edit()) {
        Some(term) => {
            let searched = term.clone();
            // One more than listed tells whether there are more.
            let found = db
                .run_search(move |conn| {
                    queries::students_matching(conn, &searched, id, CANDIDATES + 1)
                })
                .await?;
            Some(CandidateSearch {
                term,
                more: found.len() as i64 > CANDIDATES,
                candidates: found
                    .iter()
                    .take(CANDIDATES as usize)
                    .map(CandidateView::from)
                    .collect(),
            })
        }
        None => None,
    };
    Ok(CoursePage {
        page,
        course: CourseView::from(&course),
        events: events.iter().map(EventView::new).collect(),
        members: class.members.iter().map(MemberView::from).collect(),
        listing: ClassListView::new(id, &params, &class),
        search,
    })
}

pub async fn new_form(_editor: Editor, page: Page) -> Result<HttpResponse, AppError> {
    let form = CourseFormPage::create(page, &CourseDraft::default(), &FieldErrors::default());
    render(StatusCode::OK, &form)
}

pub async fn create(
    editor: Editor,
    db: web::Data<Database>,
    page: Page,
    form: ProtectedForm<CourseForm>,
) -> Result<HttpResponse, AppError> {
    let draft = form.0.draft;
    let details = match draft.validate() {
        Ok(details) => details,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CourseFormPage::create(page, &draft, &errors),
            );
        }
    };
    let actor = editor.0.actor();
    match db
        .write(move |conn| queries::create(conn, &actor, &details))
        .await
    {
        Ok(course) => {
            FlashMessage::success(format!("Course {} added", course.code)).send();
            Ok(see_other(&format!("/courses/{}/", course.id)))
        }
        Err(CourseSaveError::CodeTaken) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &CourseFormPage::create(page, &draft, &FieldErrors::code_taken()),
        ),
        Err(CourseSaveError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &CourseFormPage::create(page, &draft, &errors),
        ),
        Err(CourseSaveError::Database(err)) if err.is_not_saved() => not_saved(
            CourseFormPage::create(page, &draft, &FieldErrors::default()),
            err,
        ),
        Err(other) => Err(page_error(other)),
    }
}

pub async fn edit_form(
    _editor: Editor,
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let course = db
        .run(move |conn| queries::find(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let form = CourseFormPage::edit(
        page,
        id,
        course.version,
        &CourseDraft::from(&course),
        &FieldErrors::default(),
    );
    render(StatusCode::OK, &form)
}

pub async fn update(
    editor: Editor,
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
    form: ProtectedForm<CourseForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let version = form.0.version("course")?;
    let draft = form.0.draft;
    let details = match draft.validate() {
        Ok(details) => details,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CourseFormPage::edit(page, id, version, &draft, &errors),
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
        Ok(course) => {
            FlashMessage::success(format!("Course {} updated", course.code)).send();
            Ok(see_other(&format!("/courses/{id}/")))
        }
        Err(CourseSaveError::CodeTaken) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &CourseFormPage::edit(page, id, version, &draft, &FieldErrors::code_taken()),
        ),
        Err(CourseSaveError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &CourseFormPage::edit(page, id, version, &draft, &errors),
        ),
        Err(CourseSaveError::Stale { current }) => {
            // Keep what the user typed, and base it on the stored version, so
            // saving again is a deliberate choice to replace what is there.
            let mut form =
                CourseFormPage::edit(page, id, current.version, &draft, &FieldErrors::default());
            form.conflict = Some(CourseView::from(current.as_ref()));
            render(StatusCode::CONFLICT, &form)
        }
        Err(CourseSaveError::Database(err)) if err.is_not_saved() => not_saved(
            CourseFormPage::edit(page, id, version, &draft, &FieldErrors::default()),
            err,
        ),
        Err(other) => Err(page_error(other)),
    }
}

pub async fn delete(
    editor: Editor,
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
    _form: ProtectedForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let actor = editor.0.actor();
    let deleted = db
        .write(move |conn| match queries::delete(conn, &actor, id, None) {
            // The course as it stands, for the page that says why not.
            Err(CourseSaveError::HasEnrolments { count }) => {
                let course = queries::find(conn, id)?.ok_or(CourseSaveError::NotFound)?;
                Ok(Err((course, count)))
            }
            other => other.map(Ok),
        })
        .await;
    match deleted {
        Ok(Ok(course)) => {
            FlashMessage::success(format!("Course {} deleted", course.code)).send();
            Ok(see_other("/courses/"))
        }
        Ok(Err((course, count))) => render(
            StatusCode::CONFLICT,
            &DeleteRefusedPage::new(page, &course, count),
        ),
        Err(err) => Err(page_error(err)),
    }
}

/// The outcomes a handler did not turn into a page of its own.
fn page_error(err: CourseSaveError) -> AppError {
    match err {
        CourseSaveError::NotFound => AppError::NotFound,
        CourseSaveError::Database(err) => err.into(),
        other => AppError::unexpected(other),
    }
}

/// The form again with the "not saved" notice, and a 503.
fn not_saved(mut form: CourseFormPage, err: DbError) -> Result<HttpResponse, AppError> {
    form.form.not_saved = true;
    record_form::not_saved(&form, err)
}
