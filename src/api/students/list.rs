//! The listing, `GET /api/students`: the index page's search, order and
//! paging, its query read strictly.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};

use super::json::{ListQuery, StudentPage, StudentRecord};
use super::{COLLECTION, PRIVATE};
use crate::api::error::{ApiError, ErrorBody};
use crate::api::paging::{self, PagingQuery};
use crate::api::responses::Unauthenticated;
use crate::database::{Database, DbError};
use crate::students;
use crate::students::listing::{ListParams, SortKey};

/// Lists students a page at a time.
///
/// The same search, order and paging as the index page, with `next` and
/// `prev` links that keep them.
#[utoipa::path(
    get,
    path = "/api/students",
    tag = "students",
    operation_id = "listStudents",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of students.", body = StudentPage),
        (status = 400, description = "A query parameter is not one of the values described.",
            body = ErrorBody,
            example = json!({"error": "invalid query parameters",
                             "fields": {"per_page": "must be a whole number from 1 to 100"}})),
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
    let list = students::list(&db, params.clone()).await;
    let list = match list {
        Ok(list) => list,
        Err(err @ DbError::TooSlow(_)) if params.search.is_some() => {
            return Err(ApiError::SearchTooBroad(err));
        }
        Err(err) => return Err(err.into()),
    };
    let pagination = list.pagination;
    let links = paging::links(&pagination, |page| list_url(&params, page));
    let page = StudentPage {
        items: list.students.iter().map(StudentRecord::new).collect(),
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

/// Checks each parameter strictly, then normalises them as the index page
/// does (the search trimmed and cut), so both list the same students.
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

/// A listing URL for `page`, keeping the search, order and page size; default
/// values are left out, as on the index page.
fn list_url(params: &ListParams, page: i64) -> String {
    format!("{COLLECTION}?{}", params.query_string(Some(page)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_links_keep_everything_but_defaults() {
        let params =
            ListParams::parse(Some(" shark "), Some("age"), Some("desc"), None, Some("10"));
        assert_eq!(
            list_url(&params, 3),
            "/api/students?q=shark&sort=age&dir=desc&per_page=10&page=3"
        );
        assert_eq!(list_url(&ListParams::default(), 2), "/api/students?page=2");
    }

    #[test]
    fn list_parameters_are_read_strictly() {
        let query = |pairs: &[(&str, &str)]| -> ListQuery {
            serde_urlencoded::from_str(&serde_urlencoded::to_string(pairs).unwrap()).unwrap()
        };
        assert!(list_params(&query(&[("sort", "city"), ("dir", "desc"), ("page", "2")])).is_ok());
        for pairs in [
            &[("sort", "NAME")][..],
            &[("dir", "up")][..],
            &[("page", "0")][..],
            &[("page", "abc")][..],
            &[("page", "")][..],
            &[("per_page", "101")][..],
            &[("per_page", " 5")][..],
        ] {
            assert!(list_params(&query(pairs)).is_err(), "{pairs:?}");
        }
    }
}
