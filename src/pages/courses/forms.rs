//! What the course pages read from a request: the create/edit form and the
//! query strings of the list and a course's page. (The delete button sends a
//! `csrf::ButtonForm`.)

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::courses::CourseDraft;
use crate::courses::listing::{ClassListParams, ListParams};
use crate::pages::record_form::Submitted;
use crate::pagination::search_term;

/// The create and edit forms as submitted.
pub type CourseForm = Submitted<CourseDraft>;

/// A query string read leniently, as the student index reads its own:
/// nothing in it is an error, a parameter given twice counts as its first
/// value, bytes that are not UTF-8 become U+FFFD.
#[derive(Debug, Default)]
pub struct Query {
    q: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    find: Option<String>,
}

impl Query {
    /// What the course list is asked to show.
    pub fn list_params(&self) -> ListParams {
        ListParams::parse(
            self.q.as_deref(),
            self.sort.as_deref(),
            self.dir.as_deref(),
            self.page.as_deref(),
            self.per_page.as_deref(),
        )
    }

    /// What a course's class list is asked to show.
    pub fn class_params(&self) -> ClassListParams {
        ClassListParams::parse(
            self.sort.as_deref(),
            self.dir.as_deref(),
            self.page.as_deref(),
            self.per_page.as_deref(),
        )
    }

    /// The "Add students" search term, trimmed; `None` when blank.
    pub fn find(&self) -> Option<String> {
        search_term(self.find.as_deref())
    }

    pub(super) fn parse(query: &str) -> Self {
        let mut read = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "q" => &mut read.q,
                "sort" => &mut read.sort,
                "dir" => &mut read.dir,
                "page" => &mut read.page,
                "per_page" => &mut read.per_page,
                "find" => &mut read.find,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.into_owned());
        }
        read
    }
}

impl FromRequest for Query {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::parse(req.query_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_takes_the_first_of_repeated_parameters() {
        let query = Query::parse("find=ann&find=bob&sort=enrolled&page=2&page=3");
        assert_eq!(query.find().as_deref(), Some("ann"));
        assert_eq!(query.class_params().page, 2);
        assert_eq!(Query::parse("find=+%20").find(), None);
    }
}
