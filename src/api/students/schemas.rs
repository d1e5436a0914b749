//! The student fields' OpenAPI schemas, derived from the constants the rules
//! themselves use.
//!
//! The rules trim surrounding whitespace before counting characters, so a
//! length limit alone would misdescribe them; a pattern says exactly what is
//! accepted: optional surrounding whitespace around a trimmed value of the
//! allowed length, without the characters a one-line field refuses. A second
//! pattern (a regular expression can't count and look for a visible character
//! at once) says that something visible must be there.

use utoipa::openapi::schema::{
    AllOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};

use crate::students::validation::{
    AGE_MAX, AGE_MIN, BIO_MAX, CITY_MAX, EMAIL_MAX, NAME_MAX, TRIMMED_CHARS_CLASS, invisible_class,
    refused_in_bio_class, refused_in_line_class,
};

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
