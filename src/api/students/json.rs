//! What goes over the wire: the student record, the bodies clients send, the
//! page of a listing, and the listing's query. Their OpenAPI schemas are
//! derived here too, from the constants the rules themselves use.
//!
//! Bodies are read strictly: an unknown field or a value of the wrong JSON
//! type is a 400 (a typo in a field name must not be silently ignored), while
//! values of the right type that break a rule go through
//! [`StudentDraft::validate`], the pages' own validation, and are a 422 with
//! the pages' messages. A required field that is missing or `null` counts as
//! left blank: a 422 "is required", like an empty form field.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{
    AllOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use crate::format::rfc3339;
use crate::http::deadline;
use crate::students::listing::MAX_PER_PAGE;
use crate::students::validation::{
    AGE_MAX, AGE_MIN, BIO_MAX, CITY_MAX, EMAIL_MAX, NAME_MAX, TRIMMED_CHARS_CLASS, invisible_class,
    refused_in_bio_class, refused_in_line_class,
};
use crate::students::{Student, StudentDraft};

/// A stored student, every column.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Student, example = json!({
    "id": 2,
    "firstname": "Sammy",
    "lastname": "Shark",
    "email": "sammyshark@example.com",
    "age": 20,
    "bio": "Marine biology student",
    "city": "Lisbon",
    "version": 1,
    "created_at": "2026-11-22T10:54:00Z",
    "updated_at": "2026-11-22T10:54:00Z"
}))]
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
    /// Goes up by one with every change; the `ETag` header is this number in
    /// quotes.
    pub version: i32,
    /// When the student was added, RFC 3339 in UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the student last changed, RFC 3339 in UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Student> for StudentRecord {
    fn from(student: &Student) -> Self {
        Self {
            id: student.id,
            firstname: student.firstname.clone(),
            lastname: student.lastname.clone(),
            email: student.email.clone(),
            age: student.age,
            bio: student.bio.clone(),
            city: student.city.clone(),
            version: student.version,
            created_at: rfc3339(&student.created_at),
            updated_at: rfc3339(&student.updated_at),
        }
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
        Self {
            firstname: input.firstname.unwrap_or_default(),
            lastname: input.lastname.unwrap_or_default(),
            email: input.email.unwrap_or_default(),
            age: input.age.map(|age| age.0.to_string()).unwrap_or_default(),
            bio: input.bio.unwrap_or_default(),
            city: input.city.unwrap_or_default(),
        }
    }
}

/// A request body: a JSON object read into `T`. It is read as a map first,
/// because serde's derived impls also read a struct from an array, by
/// position (`["Sammy"]` would set the first name, `[]` be an empty patch);
/// then into `T`, noting where it failed so the 400 can name the field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The scope's JsonConfig applies: size limit, content type, error shape.
        let object = deadline::read_within(
            req,
            web::Json::<serde_json::Map<String, Value>>::from_request(req, payload),
        );
        Box::pin(async move {
            let object = object
                .await
                .map_err(|_| ApiError::RequestTimeout)??
                .into_inner();
            serde_path_to_error::deserialize(Value::Object(object))
                .map(Self)
                .map_err(|err| ApiError::from(err).into())
        })
    }
}

/// A JSON number that is a whole number, as JSON Schema's `integer` means it:
/// `20` and `20.0` alike. Past the range of `i64` it saturates, and the age
/// rule then refuses it like any other number out of range; `20.5` or a
/// string is the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeNumber(pub i64);

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        if let Some(n) = number.as_i64() {
            return Ok(Self(n));
        }
        if number.is_u64() {
            return Ok(Self(i64::MAX));
        }
        match number.as_f64() {
            // `as` saturates at the ends of i64.
            Some(n) if n.is_finite() && n.fract() == 0.0 => Ok(Self(n as i64)),
            Some(n) => Err(serde::de::Error::invalid_value(
                serde::de::Unexpected::Float(n),
                &"a whole number",
            )),
            None => Err(serde::de::Error::custom("expected a whole number")),
        }
    }
}

/// Some fields of a student, for `PATCH` (JSON merge patch): a field left out
/// keeps its value, `null` clears an optional one. The result must pass the
/// same rules as a whole student.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"city": "Porto", "bio": null}))]
pub struct StudentPatch {
    #[serde(default, deserialize_with = "given")]
    #[schema(schema_with = firstname_schema)]
    pub firstname: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    #[schema(schema_with = lastname_schema)]
    pub lastname: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    #[schema(schema_with = email_schema)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    #[schema(schema_with = age_schema)]
    pub age: Option<Option<WholeNumber>>,
    #[serde(default, deserialize_with = "given")]
    #[schema(schema_with = bio_schema)]
    pub bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    #[schema(schema_with = city_schema)]
    pub city: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`,
/// through `#[serde(default)]`).
fn given<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl StudentPatch {
    /// The draft with the given fields replaced; `null` becomes blank.
    pub fn apply(self, mut draft: StudentDraft) -> StudentDraft {
        let text = |value: Option<String>| value.unwrap_or_default();
        if let Some(value) = self.firstname {
            draft.firstname = text(value);
        }
        if let Some(value) = self.lastname {
            draft.lastname = text(value);
        }
        if let Some(value) = self.email {
            draft.email = text(value);
        }
        if let Some(value) = self.age {
            draft.age = value.map(|age| age.0.to_string()).unwrap_or_default();
        }
        if let Some(value) = self.bio {
            draft.bio = text(value);
        }
        if let Some(value) = self.city {
            draft.city = text(value);
        }
        draft
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "id": 2,
        "firstname": "Sammy",
        "lastname": "Shark",
        "email": "sammyshark@example.com",
        "age": 20,
        "bio": "Marine biology student",
        "city": "Lisbon",
        "version": 1,
        "created_at": "2026-11-22T10:54:00Z",
        "updated_at": "2026-11-22T10:54:00Z"
    }],
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
#[allow(dead_code)] // documents `sort`; the values are read in `students::list_params`
pub enum SortParam {
    Name,
    Email,
    Age,
    City,
    Joined,
}

#[derive(ToSchema)]
#[schema(as = Direction, rename_all = "lowercase")]
#[allow(dead_code)] // documents `dir`; the values are read in `students::list_params`
pub enum DirParam {
    Asc,
    Desc,
}

// The field schemas. The rules trim surrounding whitespace before counting
// characters, so a length limit alone would misdescribe them; a pattern says
// exactly what is accepted: optional surrounding whitespace around a trimmed
// value of the allowed length, without the characters a one-line field
// refuses. A second pattern (a regular expression can't count and look for
// a visible character at once) says that something visible must be there.

/// Matches text whose trimmed value has `min` (0 or 1) to `max` characters,
/// none of them refused in a one-line field.
pub fn trimmed_pattern(min: u64, max: u64) -> String {
    let space = TRIMMED_CHARS_CLASS;
    let refused = refused_in_line_class();
    let inner = max.saturating_sub(2);
    let trimmed = format!(r"[^{space}{refused}](?:[^{refused}]{{0,{inner}}}[^{space}{refused}])?");
    if min == 0 {
        format!(r"^[{space}]*(?:{trimmed})?[{space}]*$")
    } else {
        format!(r"^[{space}]*{trimmed}[{space}]*$")
    }
}

/// Finds a visible character (JSON Schema patterns are not anchored); with
/// `blank_allowed`, also matches text that is nothing but whitespace.
pub fn visible_pattern(blank_allowed: bool) -> String {
    let visible = format!("[^{}]", invisible_class());
    if blank_allowed {
        format!("^[{TRIMMED_CHARS_CLASS}]*$|{visible}")
    } else {
        visible
    }
}

/// The bio: any number of characters the bio does not refuse.
pub fn bio_pattern() -> String {
    format!("^[^{}]*$", refused_in_bio_class())
}

/// `schema` (a string, or null when `nullable`), and a visible character in
/// it; blank is allowed when the field is optional.
fn with_visible(schema: ObjectBuilder, nullable: bool) -> Schema {
    Schema::AllOf(
        AllOfBuilder::new()
            .item(schema.build())
            .item(
                string_schema(nullable)
                    .pattern(Some(visible_pattern(nullable)))
                    .build(),
            )
            .build(),
    )
}

/// What every text field's description ends with.
const CHARACTERS: &str = "It must contain a visible character (not only zero-width or \
     other invisible ones) and no NUL or other control characters; ";

fn string_schema(nullable: bool) -> ObjectBuilder {
    let kind: SchemaType = if nullable {
        [Type::String, Type::Null].into_iter().collect()
    } else {
        Type::String.into()
    };
    ObjectBuilder::new().schema_type(kind)
}

fn name_schema(label: &str, example: &str) -> Schema {
    with_visible(
        string_schema(false)
            .pattern(Some(trimmed_pattern(1, NAME_MAX)))
            .description(Some(format!(
                "{label}: required, at most {NAME_MAX} characters once surrounding \
                 whitespace is trimmed (it is not stored). {CHARACTERS}one line, with \
                 no text-direction controls (U+061C, U+200E, U+200F, U+202A-U+202E, \
                 U+2066-U+2069)."
            )))
            .examples([example]),
        false,
    )
}

pub fn firstname_schema() -> Schema {
    name_schema("First name", "Sammy")
}

pub fn lastname_schema() -> Schema {
    name_schema("Last name", "Shark")
}

pub fn email_schema() -> Schema {
    with_visible(
        string_schema(false)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .pattern(Some(trimmed_pattern(1, EMAIL_MAX)))
            .description(Some(format!(
                "Required, an email address like name@example.com, at most {EMAIL_MAX} \
                 characters once trimmed, with only ASCII letters, digits and punctuation \
                 before the @. The domain is stored in its standard form (UTS #46: lower \
                 case, Unicode rather than Punycode), so a fullwidth or decomposed spelling \
                 of a domain is the same address. Unique among students, ignoring case \
                 (409 if taken). One line, no text-direction or control characters."
            )))
            .examples(["sammyshark@example.com"]),
        false,
    )
}

pub fn age_schema() -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(
                [Type::Integer, Type::Null]
                    .into_iter()
                    .collect::<SchemaType>(),
            )
            .minimum(Some(AGE_MIN))
            .maximum(Some(AGE_MAX))
            .description(Some(format!(
                "Optional, a whole number from {AGE_MIN} to {AGE_MAX}: a JSON number \
                 such as 20 (20.0 too), not a string."
            )))
            .examples([20])
            .build(),
    )
}

pub fn bio_schema() -> Schema {
    with_visible(
        string_schema(true)
            .max_length(Some(BIO_MAX as usize))
            .pattern(Some(bio_pattern()))
            .description(Some(format!(
                "Optional, at most {BIO_MAX} characters (a \\r\\n line break counts as \
                 one; it is stored as \\n); kept as sent, but blank is stored as null. \
                 {CHARACTERS}line breaks and tabs are fine, and so are the direction \
                 marks U+061C, U+200E and U+200F, but not the embeddings, overrides and \
                 isolates U+202A-U+202E and U+2066-U+2069."
            )))
            .examples(["Marine biology student"]),
        true,
    )
}

pub fn city_schema() -> Schema {
    with_visible(
        string_schema(true)
            .pattern(Some(trimmed_pattern(0, CITY_MAX)))
            .description(Some(format!(
                "Optional, at most {CITY_MAX} characters once trimmed; blank is stored \
                 as null. {CHARACTERS}one line, with no text-direction controls \
                 (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069)."
            )))
            .examples(["Lisbon"]),
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_integers_in_any_spelling() {
        let read = |json: &str| serde_json::from_str::<WholeNumber>(json).map(|n| n.0);
        assert_eq!(read("20").ok(), Some(20));
        assert_eq!(read("-3").ok(), Some(-3));
        assert_eq!(read("20.0").ok(), Some(20));
        assert_eq!(read("1e2").ok(), Some(100));
        assert_eq!(read("1e30").ok(), Some(i64::MAX));
        assert_eq!(read("18446744073709551615").ok(), Some(i64::MAX));
        assert_eq!(read("-1e30").ok(), Some(i64::MIN));
        for bad in ["20.5", "\"20\"", "true", "null", "[]"] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn null_is_kept_apart_from_absent() {
        let patch: StudentPatch = serde_json::from_str(r#"{"city": null}"#).unwrap();
        assert_eq!(patch.city, Some(None));
        assert_eq!(patch.bio, None);
    }

    #[test]
    fn patterns_say_what_the_rules_accept() {
        use crate::students::StudentDraft;
        let pattern = |p: &str| regex::Regex::new(p).unwrap();
        let (name, name_visible) = (
            pattern(&trimmed_pattern(1, NAME_MAX)),
            pattern(&visible_pattern(false)),
        );
        let (city, city_visible) = (
            pattern(&trimmed_pattern(0, CITY_MAX)),
            pattern(&visible_pattern(true)),
        );
        let bio = pattern(&bio_pattern());
        let sammy = || StudentDraft {
            firstname: "Sammy".into(),
            lastname: "Shark".into(),
            email: "sammyshark@example.com".into(),
            ..StudentDraft::default()
        };
        let samples = [
            String::new(),
            " ".into(),
            "\u{3000}\t\n".into(),
            "a".into(),
            " a ".into(),
            "\u{85}a b\u{a0}".into(),
            "\u{1c}".into(),
            "\u{feff}".into(),
            "\0".into(),
            "a\0".into(),
            " \0 ".into(),
            "x".repeat(79),
            "x".repeat(80),
            "x".repeat(81),
            format!("  {}  ", "x".repeat(80)),
            "x".repeat(99),
            "x".repeat(100),
            "x".repeat(101),
            format!("\u{2003}{}\n", "é".repeat(100)),
            format!("\u{2003}{}\n", "é".repeat(101)),
            format!("a{}b", " ".repeat(98)),
            format!("a{}b", " ".repeat(99)),
            "\u{200b}".into(),
            " \u{200b}\u{2060} ".into(),
            "\u{3164}".into(),
            "\u{e0001}\u{1d173}".into(),
            "a\u{200b}".into(),
            "\u{200d}a".into(),
            "\u{2764}\u{fe0f}".into(),
            "a\u{202e}b".into(),
            "\u{2066}a\u{2069}".into(),
            "a\u{200e}".into(),
            "\u{61c}a".into(),
            "a\tb".into(),
            "a\nb".into(),
            "a\r\nb".into(),
            "a\u{85}b".into(),
            "a\u{9f}b".into(),
            "a\u{7f}".into(),
            "a\u{2028}b".into(),
            "\u{1b}[31m".into(),
            "  line one\n\tline two ".into(),
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd}\u{200f}".into(),
            "\u{b}a\u{c}".into(),
        ];
        for sample in &samples {
            let firstname_ok = StudentDraft {
                firstname: sample.clone(),
                ..sammy()
            }
            .validate()
            .is_ok();
            assert_eq!(
                name.is_match(sample) && name_visible.is_match(sample),
                firstname_ok,
                "name {sample:?}"
            );
            let city_ok = StudentDraft {
                city: sample.clone(),
                ..sammy()
            }
            .validate()
            .is_ok();
            assert_eq!(
                city.is_match(sample) && city_visible.is_match(sample),
                city_ok,
                "city {sample:?}"
            );
            let bio_ok = StudentDraft {
                bio: sample.clone(),
                ..sammy()
            }
            .validate()
            .is_ok();
            assert_eq!(
                bio.is_match(sample) && city_visible.is_match(sample),
                bio_ok,
                "bio {sample:?}"
            );
        }
    }
}
