//! What goes over the wire: the student record, the bodies clients send, the
//! page of a listing, and the listing's query; their schemas are in
//! [`super::schemas`].
//!
//! Bodies are read strictly: an unknown field or a value of the wrong JSON
//! type is a 400 (a typo in a field name must not be silently ignored), while
//! values of the right type that break a rule go through
//! [`StudentDraft::validate`], the pages' own validation, and are a 422 with
//! the pages' messages. A required field that is missing or `null` counts as
//! left blank: a 422 "is required", like an empty form field.
//!
//! Each conversion below destructures its source and builds its target with
//! no `..`, so a field added to the student does not compile until every
//! wire type carries it.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::schemas::{
    age_schema, bio_schema, city_schema, email_schema, firstname_schema, lastname_schema,
};
use crate::api::body::WholeNumber;
use crate::api::conditional::Tag;
use crate::format::rfc3339;
use crate::students::listing::MAX_PER_PAGE;
use crate::students::{Student, StudentDraft};

/// The example student of the OpenAPI document.
fn record_example() -> serde_json::Value {
    serde_json::json!({
        "id": 2,
        "firstname": "Sammy",
        "lastname": "Shark",
        "email": "sammyshark@example.com",
        "age": 20,
        "bio": "Marine biology student",
        "city": "Lisbon",
        "version": 1,
        "created_at": "2026-11-22T10:54:00Z",
        "updated_at": "2026-11-22T10:54:00Z",
        "enrolment_count": 2
    })
}

/// A stored student, every column.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Student, example = record_example)]
pub struct StudentRecord {
    pub id: i32,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    #[schema(required = true)]
    pub age: Option<i32>,
    #[schema(required = true)]
    pub bio: Option<String>,
    #[schema(required = true)]
    pub city: Option<String>,
    /// Goes up by one with every change. The `ETag` header is this number
    /// and `enrolment_count`, quoted: `"1.2"`.
    pub version: i32,
    /// When the student was added, RFC 3339 in UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the student last changed, RFC 3339 in UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// How many courses the student is enrolled in now (enrolments with
    /// status `enrolled`; see `/api/students/{id}/enrolments`). A live count,
    /// not one of the student's fields: enrolling does not change the
    /// student's version, but it does change the `ETag`.
    #[schema(minimum = 0)]
    pub enrolment_count: i64,
}

impl StudentRecord {
    pub fn new(student: &Student) -> Self {
        let Student {
            id,
            firstname,
            lastname,
            email,
            age,
            bio,
            city,
            version,
            created_at,
            updated_at,
            current_courses,
        } = student;
        Self {
            id: *id,
            firstname: firstname.clone(),
            lastname: lastname.clone(),
            email: email.clone(),
            age: *age,
            bio: bio.clone(),
            city: city.clone(),
            version: *version,
            created_at: rfc3339(created_at),
            updated_at: rfc3339(updated_at),
            enrolment_count: i64::from(*current_courses),
        }
    }

    /// The `ETag` of this JSON: its version and its count.
    pub fn etag(&self) -> Tag {
        Tag::new(self.version, self.enrolment_count)
    }
}

/// A whole student, for `POST` and `PUT`. Optional fields left out or `null`
/// are stored empty.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "firstname": "Sammy",
    "lastname": "Shark",
    "email": "sammyshark@example.com",
    "age": 20,
    "bio": "Marine biology student",
    "city": "Lisbon"
}))]
pub struct StudentInput {
    #[schema(schema_with = firstname_schema, required = true)]
    pub firstname: Option<String>,
    #[schema(schema_with = lastname_schema, required = true)]
    pub lastname: Option<String>,
    #[schema(schema_with = email_schema, required = true)]
    pub email: Option<String>,
    #[schema(schema_with = age_schema)]
    pub age: Option<WholeNumber>,
    #[schema(schema_with = bio_schema)]
    pub bio: Option<String>,
    #[schema(schema_with = city_schema)]
    pub city: Option<String>,
}

impl From<StudentInput> for StudentDraft {
    fn from(input: StudentInput) -> Self {
        let StudentInput {
            firstname,
            lastname,
            email,
            age,
            bio,
            city,
        } = input;
        Self {
            firstname: text(firstname),
            lastname: text(lastname),
            email: text(email),
            age: text(age),
            bio: text(bio),
            city: text(city),
        }
    }
}

/// A value as the form would have it: `null` (or left out) is blank.
fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// Some fields of a student, for `PATCH` (JSON merge patch): a field left out
/// keeps its value, `null` clears an optional one. The result must pass the
/// same rules as a whole student.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(example = json!({"city": "Porto", "bio": null}))]
pub struct StudentPatch {
    #[schema(schema_with = firstname_schema)]
    pub firstname: Patch<String>,
    #[schema(schema_with = lastname_schema)]
    pub lastname: Patch<String>,
    #[schema(schema_with = email_schema)]
    pub email: Patch<String>,
    #[schema(schema_with = age_schema)]
    pub age: Patch<WholeNumber>,
    #[schema(schema_with = bio_schema)]
    pub bio: Patch<String>,
    #[schema(schema_with = city_schema)]
    pub city: Patch<String>,
}

/// One field of a merge patch.
#[derive(Debug, Default, PartialEq)]
pub enum Patch<T> {
    /// Left out: the field keeps its value.
    #[default]
    Absent,
    /// `null`: the field is cleared.
    Null,
    Value(T),
}

/// Only a field that is present is deserialised (a left-out one is
/// `Absent`, by `#[serde(default)]`): `null` is then `Null`.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| value.map_or(Patch::Null, Patch::Value))
    }
}

impl<T: ToString> Patch<T> {
    /// The value the field ends with, as the form would have it: `current`
    /// when left out, blank when `null`.
    pub fn onto(self, current: String) -> String {
        match self {
            Patch::Absent => current,
            Patch::Null => String::new(),
            Patch::Value(value) => value.to_string(),
        }
    }
}

impl StudentPatch {
    /// The draft with the given fields replaced; `null` becomes blank.
    pub fn apply(self, draft: StudentDraft) -> StudentDraft {
        let Self {
            firstname,
            lastname,
            email,
            age,
            bio,
            city,
        } = self;
        StudentDraft {
            firstname: firstname.onto(draft.firstname),
            lastname: lastname.onto(draft.lastname),
            email: email.onto(draft.email),
            age: age.onto(draft.age),
            bio: bio.onto(draft.bio),
            city: city.onto(draft.city),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [record_example()],
    "total": 3,
    "page": 2,
    "per_page": 1,
    "next": "/api/students?per_page=1&page=3",
    "prev": "/api/students?per_page=1&page=1"
}))]
pub struct StudentPage {
    pub items: Vec<StudentRecord>,
    /// How many students match, on all pages.
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

/// The listing's query: the index page's parameters, read strictly (a value
/// that is not one of those described is a 400 naming the parameter).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Students whose name, email or city contains this text, ignoring case;
    /// surrounding spaces are ignored and only the first 100 characters are
    /// used.
    #[param(example = "shark")]
    pub q: Option<String>,
    /// The order: `name` (last name, then first name), `email`, `age`,
    /// `city` or `joined`. Default `name`.
    #[param(value_type = Option<SortParam>)]
    pub sort: Option<String>,
    /// `asc` or `desc`. Default `asc`.
    #[param(value_type = Option<DirParam>)]
    pub dir: Option<String>,
    /// The page, from 1. Default 1; past the end gives the last page.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 2147483647)]
    pub page: Option<String>,
    /// Students per page, 1 to 100. Default 25.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

const _: () = assert!(MAX_PER_PAGE == 100, "the per_page schema says 100");

#[derive(ToSchema)]
#[schema(as = Sort, rename_all = "lowercase")]
#[allow(dead_code)] // documents `sort`; the values are read in `handlers::list_params`
pub enum SortParam {
    Name,
    Email,
    Age,
    City,
    Joined,
}

#[derive(ToSchema)]
#[schema(as = Direction, rename_all = "lowercase")]
#[allow(dead_code)] // documents `dir`; the values are read in `handlers::list_params`
pub enum DirParam {
    Asc,
    Desc,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_is_kept_apart_from_absent() {
        let patch: StudentPatch = serde_json::from_str(r#"{"city": null}"#).unwrap();
        assert_eq!(patch.city, Patch::Null);
        assert_eq!(patch.bio, Patch::Absent);
    }

    /// The OpenAPI example of a whole student names every field of the
    /// draft (checked here too), so a patch of it must change every one.
    #[test]
    fn a_patch_naming_every_field_changes_each_of_them() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(StudentInput::schema()).unwrap();
        let example = schema["example"].clone();
        let fields = |value: &serde_json::Value| -> Vec<String> {
            let mut names: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
            names.sort();
            names
        };
        let before = serde_json::to_value(StudentDraft::default()).unwrap();
        assert_eq!(
            fields(&example),
            fields(&before),
            "the example names every field"
        );
        let before: StudentDraft = serde_json::from_value(serde_json::Value::Object(
            fields(&before)
                .into_iter()
                .map(|name| (name, "before".into()))
                .collect(),
        ))
        .unwrap();

        let patch: StudentPatch = serde_json::from_value(example.clone()).unwrap();
        let after = serde_json::to_value(patch.apply(before.clone())).unwrap();
        let input: StudentInput = serde_json::from_value(example.clone()).unwrap();
        let expected = serde_json::to_value(StudentDraft::from(input)).unwrap();
        let blank = patch_of_nulls(&example).apply(before.clone());
        let before = serde_json::to_value(before).unwrap();
        for name in fields(&example) {
            assert_ne!(after[&name], before[&name], "{name} did not change");
            assert_eq!(after[&name], expected[&name], "{name}");
        }
        // And `null` blanks each of them.
        assert_eq!(blank, StudentDraft::default());
    }

    fn patch_of_nulls(example: &serde_json::Value) -> StudentPatch {
        let nulls = example
            .as_object()
            .unwrap()
            .keys()
            .map(|name| (name.clone(), serde_json::Value::Null))
            .collect();
        serde_json::from_value(serde_json::Value::Object(nulls)).unwrap()
    }
}
