//! A course's class list, `GET /api/courses/{id}/enrolments`, and enrolling
//! a student into the course, `POST` there.

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpResponse, web};

use super::json::{ClassListPage, ClassListQuery, ClassMemberRecord, EnrolInput, EnrolmentRecord};
use super::responses::EnrolRefused;
use super::{COLLECTION, NO_SUCH_STUDENT_ID, PRIVATE};
use crate::api::auth::ApiCaller;
use crate::api::body::JsonBody;
use crate::api::courses::course_id;
use crate::api::courses::responses::NoSuchCourse;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::paging::{self, PagingQuery};
use crate::api::responses::{BodyRefused, NotSaved, ReadOnly, Unauthenticated};
use crate::courses::listing::{ClassListParams, ClassSortKey};
use crate::courses::{EnrolQueue, SeatRequest, queries};
use crate::database::Database;

/// Lists a course's enrolments (every status) a page at a time, each with
/// its student.
///
/// The same order and paging as the course page's class list. Three SQL
/// statements whatever the page size.
#[utoipa::path(
    get,
    path = "/api/courses/{id}/enrolments",
    tag = "enrolments",
    operation_id = "listClass",
    params(
        ("id" = i32, Path, description = "The course's id.", minimum = 1, example = 3),
        ClassListQuery
    ),
    responses(
        (status = 200, description = "A page of the class list.", body = ClassListPage),
        (status = 400, description = "A query parameter is not one of the values described.",
            body = ErrorBody,
            example = json!({"error": "invalid query parameters",
                             "fields": {"sort": "must be one of name, enrolled"}})),
        NoSuchCourse,
        Unauthenticated,
    )
)]
pub async fn list(
    db: web::Data<Database>,
    id: web::Path<String>,
    query: web::Query<ClassListQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = course_id(&id)?;
    let params = list_params(&query)?;
    let class = db
        .run(move |conn| {
            let (_, size) =
                queries::find_with_class_size(conn, id)?.ok_or(ApiError::NO_SUCH_COURSE)?;
            Ok::<_, ApiError>(queries::class_list_of(conn, id, size, &params)?)
        })
        .await?;
    let pagination = class.pagination;
    let links = paging::links(&pagination, |page| list_url(id, &params, page));
    let page = ClassListPage {
        items: class.members.iter().map(ClassMemberRecord::from).collect(),
        total: pagination.total,
        page: pagination.page,
        per_page: pagination.per_page,
        next: links.next,
        prev: links.prev,
    };
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, PRIVATE))
        .json(page))
}

/// Enrols a student in the course.
///
/// Dated today (UTC). A student who withdrew from the course (or completed
/// it) is enrolled again: their enrolment is made current and re-dated, and
/// the answer is a 201 with that enrolment, as for a new one (one enrolment
/// per student and course). A seat must be free: of many requests racing
/// for the last seats, exactly as many succeed as there were seats.
#[utoipa::path(
    post,
    path = "/api/courses/{id}/enrolments",
    tag = "enrolments",
    operation_id = "enrol",
    params(("id" = i32, Path, description = "The course's id.", minimum = 1, example = 3)),
    request_body(content = EnrolInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Enrolled (a new enrolment, or a withdrawn or \
            completed one made current again); the body is the enrolment.",
            body = EnrolmentRecord,
            headers(
                ("Location" = String, description = "The enrolment's URL: `/api/enrolments/{id}`.")
            ),
            links(
                ("getEnrolment" = (operation_id = "getEnrolment",
                    parameters(("id" = "$response.body#/id")))),
                ("updateEnrolment" = (operation_id = "updateEnrolment",
                    parameters(("id" = "$response.body#/id"))))
            )),
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described (a wrong type or an unknown field).", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"student_id": "invalid type: string \"2\", expected a JSON number"}})),
        NoSuchCourse,
        EnrolRefused,
        BodyRefused,
        (status = 422, description = "`student_id` is missing or names no student.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"student_id": "No student has this id"}})),
        NotSaved,
        Unauthenticated,
        ReadOnly,
    )
)]
pub async fn enrol(
    caller: ApiCaller,
    db: web::Data<Database>,
    queue: web::Data<EnrolQueue>,
    id: web::Path<String>,
    body: JsonBody<EnrolInput>,
) -> Result<HttpResponse, ApiError> {
    let course_id = course_id(&id)?;
    let student_id = body.0.student_id;
    // An unknown course is a 404 whatever the body says.
    let found = db.run(move |conn| queries::find(conn, course_id)).await?;
    found.ok_or(ApiError::NO_SUCH_COURSE)?;
    let student_id = student_id
        .ok_or_else(|| ApiError::invalid_field("student_id", "Student id is required"))?;
    let student_id = i32::try_from(student_id.0)
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(|| ApiError::invalid_field("student_id", NO_SUCH_STUDENT_ID))?;
    let request = SeatRequest {
        student_id,
        actor: caller.actor(),
    };
    let enrolment = queue.enrol(course_id, request).await.answer?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("{COLLECTION}/{}", enrolment.id)))
        .json(EnrolmentRecord::from(&enrolment)))
}

/// Checks each parameter strictly, then normalises them as the course page
/// does.
fn list_params(query: &ClassListQuery) -> Result<ClassListParams, ApiError> {
    let sorts: Vec<&str> = ClassSortKey::ALL.iter().map(|key| key.param()).collect();
    paging::check(
        &PagingQuery {
            sort: query.sort.as_deref(),
            dir: query.dir.as_deref(),
            page: query.page.as_deref(),
            per_page: query.per_page.as_deref(),
        },
        &sorts,
    )?;
    Ok(ClassListParams::parse(
        query.sort.as_deref(),
        query.dir.as_deref(),
        query.page.as_deref(),
        query.per_page.as_deref(),
    ))
}

/// A class-list URL for `page`, keeping the order and page size; default
/// values are left out.
fn list_url(course_id: i32, params: &ClassListParams, page: i64) -> String {
    format!(
        "{}/{course_id}/enrolments?{}",
        crate::api::courses::COLLECTION,
        params.query_string(Some(page))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_list_links_keep_everything_but_defaults() {
        let params = ClassListParams::parse(Some("enrolled"), Some("desc"), None, Some("10"));
        assert_eq!(
            list_url(3, &params, 2),
            "/api/courses/3/enrolments?sort=enrolled&dir=desc&per_page=10&page=2"
        );
        assert_eq!(
            list_url(3, &ClassListParams::default(), 2),
            "/api/courses/3/enrolments?page=2"
        );
    }
}
