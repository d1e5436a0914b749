//! The student pages: index, detail, create, edit, delete.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, LOCATION};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use serde::Deserialize;

use crate::database::{Database, DbError};
use crate::pagination::Pagination;
use crate::students::listing::{ListParams, SEARCH_NEEDS_WORDS, SEARCH_TOO_BROAD};
use crate::students::{self, FieldErrors, SaveError, StudentDraft, queries};
use crate::views::{IndexPage, ListingView, StudentFormPage, StudentPage, StudentView};
use crate::web::csrf::{CarriesCsrfToken, ProtectedForm};
use crate::web::{AppError, Page};

/// The create and edit forms as submitted.
#[derive(Debug, Deserialize)]
pub struct StudentForm {
    #[serde(default)]
    csrf_token: String,
    /// The version the edit form was filled from; absent on create.
    #[serde(default)]
    version: String,
    #[serde(flatten)]
    draft: StudentDraft,
}

impl CarriesCsrfToken for StudentForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The delete button's form.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrfToken for DeleteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The index's query string, read leniently: nothing in it is an error. A
/// parameter given twice (`?q=a&q=b`) counts once, as its first value;
/// bytes that are not UTF-8 become U+FFFD.
#[derive(Debug, Default)]
pub struct IndexQuery {
    q: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

impl IndexQuery {
    fn parse(query: &str) -> Self {
        let mut read = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "q" => &mut read.q,
                "sort" => &mut read.sort,
                "dir" => &mut read.dir,
                "page" => &mut read.page,
                "per_page" => &mut read.per_page,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.into_owned());
        }
        read
    }
}

impl FromRequest for IndexQuery {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::parse(req.query_string())))
    }
}

pub async fn index(
    db: web::Data<Database>,
    page: Page,
    query: IndexQuery,
) -> Result<HttpResponse, AppError> {
    let params = ListParams::parse(
        query.q.as_deref(),
        query.sort.as_deref(),
        query.dir.as_deref(),
        query.page.as_deref(),
        query.per_page.as_deref(),
    );
    // A search that is refused keeps the term in the box, with what to do
    // instead of a list.
    let refused = |problem, page| {
        let mut listing = ListingView::new(&params, &Pagination::new(1, params.per_page, 0));
        listing.search_problem = Some(problem);
        IndexPage {
            page,
            listing,
            students: Vec::new(),
        }
    };
    let search = params.search.as_deref();
    if search.is_some_and(|term| !queries::is_searchable(term)) {
        return render(StatusCode::OK, &refused(SEARCH_NEEDS_WORDS, page));
    }
    let list = students::list(&db, params.clone()).await;
    let list = match list {
        Ok(list) => list,
        // 503, as for any request the server declined to finish: clients and
        // crawlers do not take the page for a result, and the same search
        // may pass when the server is less busy.
        Err(err @ DbError::TooSlow(_)) if search.is_some() => {
            tracing::warn!("{:?}", AppError::TooSlow(err));
            return render(
                StatusCode::SERVICE_UNAVAILABLE,
                &refused(SEARCH_TOO_BROAD, page),
            );
        }
        Err(err) => return Err(err.into()),
    };
    let listing = ListingView::new(&params, &list.pagination);
    let students = list.students.iter().map(StudentView::from).collect();
    render(
        StatusCode::OK,
        &IndexPage {
            page,
            listing,
            students,
        },
    )
}

pub async fn show(
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
) -> Result<StudentPage, AppError> {
    let id = id.into_inner();
    let student = db
        .run(move |conn| queries::find(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(StudentPage {
        page,
        student: StudentView::from(&student),
    })
}

pub async fn new_form(page: Page) -> Result<HttpResponse, AppError> {
    let form = StudentFormPage::create(page, &StudentDraft::default(), &FieldErrors::default());
    render(StatusCode::OK, &form)
}

pub async fn create(
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
    match db.write(move |conn| queries::create(conn, &details)).await {
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
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
    form: ProtectedForm<StudentForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let StudentForm { version, draft, .. } = form.0;
    let version: i32 = version.trim().parse().map_err(|_| {
        AppError::BadRequest("The form did not say which version of the student it edits. Reload the page and try again.".into())
    })?;
    let details = match draft.validate() {
        Ok(details) => details,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &StudentFormPage::edit(page, id, version, &draft, &errors),
            );
        }
    };
    match db
        .write(move |conn| queries::update(conn, id, version, &details))
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
    db: web::Data<Database>,
    id: web::Path<i32>,
    _form: ProtectedForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let student = db
        .write(move |conn| queries::delete(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    FlashMessage::success(format!("Student {} deleted", student.full_name())).send();
    Ok(see_other("/"))
}

/// The form again, with what was typed and a 503 saying nothing was stored:
/// a failed write should not also cost the user their typing.
fn not_saved(mut form: StudentFormPage, err: DbError) -> Result<HttpResponse, AppError> {
    tracing::error!("{:?}", AppError::NotSaved(err));
    form.not_saved = true;
    render(StatusCode::SERVICE_UNAVAILABLE, &form)
}

/// askama_web's responder always answers 200; forms that were refused need
/// their own status.
fn render(status: StatusCode, template: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(template.render()?))
}

/// Post/Redirect/Get: a reload after saving does not submit again.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_query_takes_the_first_of_repeated_parameters() {
        let query = IndexQuery::parse("q=a&q=b&page=1&page=2&sort=age&x=1&per_page=%FF");
        assert_eq!(query.q.as_deref(), Some("a"));
        assert_eq!(query.page.as_deref(), Some("1"));
        assert_eq!(query.sort.as_deref(), Some("age"));
        assert_eq!(query.dir, None);
        assert_eq!(query.per_page.as_deref(), Some("\u{FFFD}"));
        assert_eq!(
            IndexQuery::parse("q=sam+sh%C3%A1rk").q.as_deref(),
            Some("sam shárk")
        );
    }
}
