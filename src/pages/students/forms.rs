//! What the student pages read from a request: the create/edit form and the
//! index's query string. (The delete button sends a `csrf::ButtonForm`.)

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::pages::record_form::Submitted;
use crate::pagination::search_term;
use crate::students::StudentDraft;
use crate::students::listing::ListParams;

/// The create and edit forms as submitted.
pub type StudentForm = Submitted<StudentDraft>;

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
    course: Option<String>,
}

impl IndexQuery {
    /// What the index is asked to show; nothing in the query is an error.
    pub fn params(&self) -> ListParams {
        ListParams::parse(
            self.q.as_deref(),
            self.sort.as_deref(),
            self.dir.as_deref(),
            self.page.as_deref(),
            self.per_page.as_deref(),
        )
        .in_course(self.course.as_deref())
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
                "course" => &mut read.course,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.into_owned());
        }
        read
    }
}

/// A student's page's query string: what the enrol form searched for, read
/// as leniently as [`IndexQuery`].
#[derive(Debug, Default)]
pub struct StudentQuery {
    find_course: Option<String>,
}

impl StudentQuery {
    /// The enrol form's course search, trimmed; `None` when blank.
    pub fn find_course(&self) -> Option<String> {
        search_term(self.find_course.as_deref())
    }

    pub(super) fn parse(query: &str) -> Self {
        let find_course = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "find_course")
            .map(|(_, value)| value.into_owned());
        Self { find_course }
    }
}

impl FromRequest for StudentQuery {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::parse(req.query_string())))
    }
}

impl FromRequest for IndexQuery {
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

    #[test]
    fn the_student_page_reads_its_first_course_search() {
        let query = StudentQuery::parse("x=1&find_course=+bio+&find_course=chem");
        assert_eq!(query.find_course().as_deref(), Some("bio"));
        assert_eq!(StudentQuery::parse("find_course=%20").find_course(), None);
        assert_eq!(StudentQuery::parse("").find_course(), None);
    }
}
