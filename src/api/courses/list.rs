//! The listing, `GET /api/courses`: the course list page's search, order and
//! paging, its query read strictly.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};

use super::json::{CoursePage, CourseRecord, ListQuery};
use super::{COLLECTION, PRIVATE};
use crate::api::error::{ApiError, ErrorBody};
use crate::api::paging::{self, PagingQuery};
use crate::api::responses::Unauthenticated;
use crate::courses::listing::{ListParams, SortKey};
use crate::courses::queries;
use crate::database::{Database, DbConnection, DbError};

/// Lists courses a page at a time, each with its seats taken.
///
/// The same search, order and paging as the course list page, with `next`
/// and `prev` links that keep them. Two SQL statements whatever the page
/// size.
#[utoipa::path(
    get,
    path = "/api/courses",
    tag = "courses",
    operation_id = "listCourses",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of courses.", body = CoursePage),
        (status = 400, description = "A query parameter is not one of the values described.",
            body = ErrorBody,
            example = json!({"error": "invalid query parameters",
                             "fields": {"sort": "must be one of code, title, credits"}})),
        (status = 503, description = "The search needed more work than one request may \
            take (`QUERY_TIMEOUT_MS`), or the database is not answering.",
            body = ErrorBody,
            example = json!({"error": "That search matched too much; add more letters.",
                             "fields": {}})),
        Unauthenticated,
    )
)]
pub async fn list(
    db: web::Data<Database>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = list_params(&query)?;
    let searched = params.search.is_some();
    let for_query = params.clone();
    let work = move |conn: &mut DbConnection| queries::list(conn, &for_query);
    // A search's cost is the client's choice: it runs in a search lane, as
    // the students' does, so it cannot take the connections reads need.
    let list = if searched {
        db.run_search(work).await
    } else {
        db.run(work).await
    };
    let list = match list {
        Ok(list) => list,
        Err(err @ DbError::TooSlow(_)) if searched => return Err(ApiError::SearchTooBroad(err)),
        Err(err) => return Err(err.into()),
    };
    let pagination = list.pagination;
    let links = paging::links(&pagination, |page| list_url(&params, page));
    let page = CoursePage {
        items: list.courses.iter().map(CourseRecord::from).collect(),
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

/// Checks each parameter strictly, then normalises them as the course list
/// page does, so both list the same courses.
fn list_params(query: &ListQuery) -> Result<ListParams, ApiError> {
    let sorts: Vec<&str> = SortKey::ALL.iter().map(|key| key.param()).collect();
    paging::check(
        &PagingQuery {
            sort: query.sort.as_deref(),
            dir: query.dir.as_deref(),
            page: query.page.as_deref(),
            per_page: query.per_page.as_deref(),
        },
        &sorts,
    )?;
    Ok(ListParams::parse(
        query.q.as_deref(),
        query.sort.as_deref(),
        query.dir.as_deref(),
        query.page.as_deref(),
        query.per_page.as_deref(),
    ))
}

/// A listing URL for `page`, keeping the search, order and page size.
fn list_url(params: &ListParams, page: i64) -> String {
    format!("{COLLECTION}?{}", params.query_string(Some(page)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_links_keep_everything_but_defaults() {
        let params =
            ListParams::parse(Some(" bio "), Some("title"), Some("desc"), None, Some("10"));
        assert_eq!(
            list_url(&params, 3),
            "/api/courses?q=bio&sort=title&dir=desc&per_page=10&page=3"
        );
    }

    #[test]
    fn list_parameters_are_read_strictly() {
        let query = |pairs: &[(&str, &str)]| -> ListQuery {
            serde_urlencoded::from_str(&serde_urlencoded::to_string(pairs).unwrap()).unwrap()
        };
        assert!(list_params(&query(&[("sort", "credits"), ("dir", "desc")])).is_ok());
        for pairs in [
            &[("sort", "name")][..],
            &[("sort", "CODE")][..],
            &[("dir", "up")][..],
            &[("page", "0")][..],
            &[("per_page", "101")][..],
        ] {
            assert!(list_params(&query(pairs)).is_err(), "{pairs:?}");
        }
    }
}
