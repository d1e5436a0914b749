//! What every listing's query shares: `sort`, `dir`, `page` and `per_page`
//! are read strictly (a value that is not one of those described is a 400
//! naming the parameter), and the page links keep the listing's query.

use std::collections::BTreeMap;

use super::error::ApiError;
use super::whole_number;
use crate::pagination::{Direction, MAX_PER_PAGE, Pagination};

/// The raw paging parameters of a listing's query.
pub struct PagingQuery<'a> {
    pub sort: Option<&'a str>,
    pub dir: Option<&'a str>,
    pub page: Option<&'a str>,
    pub per_page: Option<&'a str>,
}

/// Checks each parameter: `sort` must be one of `sorts` (exactly), `dir`
/// `asc` or `desc`, `page` a whole number from 1, `per_page` from 1 to
/// [`MAX_PER_PAGE`]. All the wrong ones are named in one 400.
pub fn check(query: &PagingQuery<'_>, sorts: &[&str]) -> Result<(), ApiError> {
    let mut fields = BTreeMap::new();
    if let Some(sort) = query.sort
        && !sorts.contains(&sort)
    {
        fields.insert(
            "sort".into(),
            format!("must be one of {}", sorts.join(", ")),
        );
    }
    if let Some(dir) = query.dir
        && ![Direction::Asc, Direction::Desc]
            .iter()
            .any(|direction| direction.param() == dir)
    {
        fields.insert("dir".into(), "must be asc or desc".into());
    }
    if let Some(page) = query.page
        && whole_number(page, 1, i32::MAX.into()).is_none()
    {
        let message = format!("must be a whole number from 1 to {}", i32::MAX);
        fields.insert("page".into(), message);
    }
    if let Some(per_page) = query.per_page
        && whole_number(per_page, 1, MAX_PER_PAGE).is_none()
    {
        let message = format!("must be a whole number from 1 to {MAX_PER_PAGE}");
        fields.insert("per_page".into(), message);
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(ApiError::BadRequest {
            message: "invalid query parameters".into(),
            fields,
        })
    }
}

/// The `next` and `prev` URLs of the page `pagination` describes (`None` at
/// the ends); `url` makes the URL of a page of the same listing.
pub fn links(pagination: &Pagination, url: impl Fn(i64) -> String) -> Links {
    Links {
        next: (pagination.page < pagination.last_page()).then(|| url(pagination.page + 1)),
        prev: (pagination.page > 1).then(|| url(pagination.page - 1)),
    }
}

pub struct Links {
    pub next: Option<String>,
    pub prev: Option<String>,
}
