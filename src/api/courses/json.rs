//! What goes over the wire for courses: the record, the bodies clients send,
//! the page of a listing, and the listing's query; the fields' schemas are
//! in [`super::schemas`].
//!
//! Read as strictly as students' bodies (see
//! [`crate::api::students::json`]): an unknown field or a wrong JSON type is
//! a 400, a value that breaks a rule goes through [`CourseDraft::validate`],
//! the pages' own validation, and is a 422 with their messages.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::schemas::{
    capacity_schema, code_schema, credits_schema, description_schema, title_schema,
};
use crate::api::body::WholeNumber;
use crate::api::conditional::Tag;
use crate::api::students::json::Patch;
use crate::courses::queries::CourseWithSeats;
use crate::courses::{Course, CourseDraft};
use crate::format::rfc3339;

/// The example course of the OpenAPI document.
fn record_example() -> serde_json::Value {
    serde_json::json!({
        "id": 3,
        "code": "BIO-101",
        "title": "Marine Biology",
        "description": "Life in the oceans, from plankton to sharks.",
        "credits": 6,
        "capacity": 30,
        "enrolled": 12,
        "version": 1,
        "created_at": "2026-11-22T10:54:00Z",
        "updated_at": "2026-11-22T10:54:00Z"
    })
}

/// A stored course, with the seats taken.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Course, example = record_example)]
pub struct CourseRecord {
    pub id: i32,
    /// Upper case, as stored.
    pub code: String,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub credits: Option<i32>,
    /// Seats for enrolled students; `null` is unlimited.
    #[schema(required = true)]
    pub capacity: Option<i32>,
    /// Seats taken: the course's enrolments with status `enrolled`. A live
    /// count, not one of the course's fields: enrolling does not change the
    /// course's version, but it does change the `ETag`. It may exceed
    /// `capacity` when the capacity was lowered later; nobody new gets in
    /// until seats free up.
    #[schema(minimum = 0)]
    pub enrolled: i64,
    /// Goes up by one with every change of the fields above. The `ETag`
    /// header is this number and `enrolled`, quoted: `"1.12"`.
    pub version: i32,
    /// When the course was added, RFC 3339 in UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the course last changed, RFC 3339 in UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Course> for CourseRecord {
    fn from(course: &Course) -> Self {
        let Course {
            id,
            code,
            title,
            description,
            credits,
            capacity,
            enrolled_count,
            version,
            created_at,
            updated_at,
        } = course;
        Self {
            id: *id,
            code: code.clone(),
            title: title.clone(),
            description: description.clone(),
            credits: *credits,
            capacity: *capacity,
            enrolled: i64::from(*enrolled_count),
            version: *version,
            created_at: rfc3339(created_at),
            updated_at: rfc3339(updated_at),
        }
    }
}

impl CourseRecord {
    /// The `ETag` of this JSON: its version and its count.
    pub fn etag(&self) -> Tag {
        Tag::new(self.version, self.enrolled)
    }
}

impl From<&CourseWithSeats> for CourseRecord {
    fn from(course: &CourseWithSeats) -> Self {
        Self {
            enrolled: course.enrolled,
            ..Self::from(&course.course)
        }
    }
}

/// A whole course, for `POST` and `PUT`. Optional fields left out or `null`
/// are stored empty.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "BIO-101",
    "title": "Marine Biology",
    "description": "Life in the oceans, from plankton to sharks.",
    "credits": 6,
    "capacity": 30
}))]
pub struct CourseInput {
    #[schema(schema_with = code_schema, required = true)]
    pub code: Option<String>,
    #[schema(schema_with = title_schema, required = true)]
    pub title: Option<String>,
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
    #[schema(schema_with = credits_schema)]
    pub credits: Option<WholeNumber>,
    #[schema(schema_with = capacity_schema)]
    pub capacity: Option<WholeNumber>,
}

impl From<CourseInput> for CourseDraft {
    fn from(input: CourseInput) -> Self {
        let CourseInput {
            code,
            title,
            description,
            credits,
            capacity,
        } = input;
        Self {
            code: text(code),
            title: text(title),
            description: text(description),
            credits: text(credits),
            capacity: text(capacity),
        }
    }
}

/// A value as the form would have it: `null` (or left out) is blank.
fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// Some fields of a course, for `PATCH` (JSON merge patch): a field left out
/// keeps its value, `null` clears an optional one. The result must pass the
/// same rules as a whole course.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(example = json!({"capacity": 40, "description": null}))]
pub struct CoursePatch {
    #[schema(schema_with = code_schema)]
    pub code: Patch<String>,
    #[schema(schema_with = title_schema)]
    pub title: Patch<String>,
    #[schema(schema_with = description_schema)]
    pub description: Patch<String>,
    #[schema(schema_with = credits_schema)]
    pub credits: Patch<WholeNumber>,
    #[schema(schema_with = capacity_schema)]
    pub capacity: Patch<WholeNumber>,
}

impl CoursePatch {
    /// The draft with the given fields replaced; `null` becomes blank.
    pub fn apply(self, draft: CourseDraft) -> CourseDraft {
        let Self {
            code,
            title,
            description,
            credits,
            capacity,
        } = self;
        CourseDraft {
            code: code.onto(draft.code),
            title: title.onto(draft.title),
            description: description.onto(draft.description),
            credits: credits.onto(draft.credits),
            capacity: capacity.onto(draft.capacity),
        }
    }
}

/// One page of the course list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [record_example()],
    "total": 3,
    "page": 2,
    "per_page": 1,
    "next": "/api/courses?per_page=1&page=3",
    "prev": "/api/courses?per_page=1&page=1"
}))]
pub struct CoursePage {
    pub items: Vec<CourseRecord>,
    /// How many courses match, on all pages.
    pub total: i64,
    /// The page this is; a page past the end gives the last page.
    pub page: i64,
    pub per_page: i64,
    /// The next page's URL (path and query), `null` on the last page.
    #[schema(required = true)]
    pub next: Option<String>,
    /// The previous page's URL (path and query), `null` on the first page.
    #[schema(required = true)]
    pub prev: Option<String>,
}

/// The listing's query, read strictly (a value that is not one of those
/// described is a 400 naming the parameter).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Courses whose code or title contains this text, ignoring case;
    /// surrounding spaces are ignored and only the first 100 characters are
    /// used.
    #[param(example = "bio")]
    pub q: Option<String>,
    /// The order: `code`, `title` or `credits` (no credits first). Default
    /// `code`.
    #[param(value_type = Option<CourseSortParam>)]
    pub sort: Option<String>,
    /// `asc` or `desc`. Default `asc`.
    #[param(value_type = Option<crate::api::students::json::DirParam>)]
    pub dir: Option<String>,
    /// The page, from 1. Default 1; past the end gives the last page.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 2147483647)]
    pub page: Option<String>,
    /// Courses per page, 1 to 100. Default 25.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = CourseSort, rename_all = "lowercase")]
#[allow(dead_code)] // documents `sort`; the values are read in `list::list_params`
pub enum CourseSortParam {
    Code,
    Title,
    Credits,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_keeps_what_it_leaves_out_and_clears_nulls() {
        let patch: CoursePatch =
            serde_json::from_str(r#"{"title": "Sharks", "capacity": null}"#).unwrap();
        let before = CourseDraft {
            code: "BIO-101".into(),
            title: "Biology".into(),
            description: "Fish".into(),
            credits: "6".into(),
            capacity: "30".into(),
        };
        let after = patch.apply(before.clone());
        assert_eq!(after.title, "Sharks");
        assert_eq!(after.capacity, "");
        assert_eq!(after.code, before.code);
        assert_eq!(after.credits, before.credits);
    }
}
