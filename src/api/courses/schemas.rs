//! The course fields' OpenAPI schemas, derived from the constants the rules
//! themselves use (the patterns' reasoning is in
//! [`crate::api::students::schemas`]: trimmed values, something visible).

use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, SchemaType, Type};

use crate::api::students::schemas::{trimmed_pattern, visible_pattern};
use crate::courses::validation::{
    CAPACITY_MIN, CODE_MAX, CREDITS_MAX, CREDITS_MIN, DESCRIPTION_MAX, TITLE_MAX,
};
use crate::students::validation::TRIMMED_CHARS_CLASS;

/// A code: letters A–Z (either case), digits and hyphens, 1 to
/// [`CODE_MAX`] of them once surrounding whitespace is trimmed.
pub fn code_pattern() -> String {
    let space = TRIMMED_CHARS_CLASS;
    format!("^[{space}]*[A-Za-z0-9-]{{1,{CODE_MAX}}}[{space}]*$")
}

/// The description: blank (stored as null), or text whose only control
/// characters are line feeds, tabs, and carriage returns right before a line
/// feed.
pub fn description_pattern() -> String {
    let space = TRIMMED_CHARS_CLASS;
    r"^[SPACE]*$|^(?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]|\r\n)*$".replace("SPACE", space)
}

fn string_schema(nullable: bool) -> ObjectBuilder {
    let kind: SchemaType = if nullable {
        [Type::String, Type::Null].into_iter().collect()
    } else {
        Type::String.into()
    };
    ObjectBuilder::new().schema_type(kind)
}

fn nullable_integer() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(
        [Type::Integer, Type::Null]
            .into_iter()
            .collect::<SchemaType>(),
    )
}

pub fn code_schema() -> Schema {
    Schema::Object(
        string_schema(false)
            .pattern(Some(code_pattern()))
            .description(Some(format!(
                "Required: letters A-Z, digits and hyphens, at most {CODE_MAX} once \
                 surrounding whitespace is trimmed; stored in upper case (`bio-101` is \
                 `BIO-101`). Unique among courses, ignoring case (409 if taken)."
            )))
            .examples(["BIO-101"])
            .build(),
    )
}

pub fn title_schema() -> Schema {
    Schema::AllOf(
        AllOfBuilder::new()
            .item(
                string_schema(false)
                    .pattern(Some(trimmed_pattern(1, TITLE_MAX)))
                    .description(Some(format!(
                        "Required, at most {TITLE_MAX} characters once surrounding \
                         whitespace is trimmed (it is not stored). It must contain a \
                         visible character and no NUL or other control characters; one \
                         line, with no text-direction controls (U+061C, U+200E, U+200F, \
                         U+202A-U+202E, U+2066-U+2069)."
                    )))
                    .examples(["Marine Biology"])
                    .build(),
            )
            .item(
                string_schema(false)
                    .pattern(Some(visible_pattern(false)))
                    .build(),
            )
            .build(),
    )
}

pub fn description_schema() -> Schema {
    Schema::Object(
        string_schema(true)
            .max_length(Some(DESCRIPTION_MAX as usize))
            .pattern(Some(description_pattern()))
            .description(Some(format!(
                "Optional, at most {DESCRIPTION_MAX} characters (a \\r\\n line break counts \
                 as one; it is stored as \\n); kept as sent, but blank is stored as null. \
                 Line breaks and tabs are fine; no NUL or other control characters."
            )))
            .examples(["Life in the oceans, from plankton to sharks."])
            .build(),
    )
}

pub fn credits_schema() -> Schema {
    Schema::Object(
        nullable_integer()
            .minimum(Some(CREDITS_MIN))
            .maximum(Some(CREDITS_MAX))
            .description(Some(format!(
                "Optional, a whole number from {CREDITS_MIN} to {CREDITS_MAX}: a JSON \
                 number such as 6 (6.0 too), not a string."
            )))
            .examples([6])
            .build(),
    )
}

pub fn capacity_schema() -> Schema {
    Schema::Object(
        nullable_integer()
            .minimum(Some(CAPACITY_MIN))
            .maximum(Some(i32::MAX))
            .description(Some(format!(
                "Optional: the seats for enrolled students, a whole number from \
                 {CAPACITY_MIN} to {}; `null` (or left out) is unlimited. It may be set \
                 below the students already enrolled: nobody is unenrolled, and nobody \
                 new gets in until seats free up.",
                i32::MAX
            )))
            .examples([30])
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::courses::{CourseDraft, Field};

    /// Each pattern says exactly what the rule accepts.
    #[test]
    fn patterns_say_what_the_rules_accept() {
        let pattern = |p: &str| regex::Regex::new(p).unwrap();
        let (code, title, visible, description) = (
            pattern(&code_pattern()),
            pattern(&trimmed_pattern(1, TITLE_MAX)),
            pattern(&visible_pattern(false)),
            pattern(&description_pattern()),
        );
        let samples = [
            String::new(),
            " ".into(),
            "\r".into(),
            "\r\n".into(),
            "a\r\nb".into(),
            "a\rb".into(),
            "a\r\r\nb".into(),
            "a\nb\tc".into(),
            "bio-101".into(),
            " BIO-101\u{3000}".into(),
            "BIO 101".into(),
            "BIÖ-1".into(),
            "A".repeat(20),
            "A".repeat(21),
            "t".repeat(200),
            format!(" {} ", "t".repeat(200)),
            "t".repeat(201),
            "\0".into(),
            "a\0".into(),
            "\u{200b}".into(),
            "a\u{202e}b".into(),
            "a\u{85}b".into(),
            "\u{85}".into(),
            "a\u{7f}".into(),
            "\u{1b}[31m".into(),
            "a\u{2028}b".into(),
        ];
        for sample in &samples {
            let errors = |draft: CourseDraft| draft.validate().err().unwrap_or_default();
            let with = |field: Field| {
                let mut draft = CourseDraft {
                    code: "BIO-101".into(),
                    title: "Biology".into(),
                    ..CourseDraft::default()
                };
                match field {
                    Field::Code => draft.code = sample.clone(),
                    Field::Title => draft.title = sample.clone(),
                    _ => draft.description = sample.clone(),
                }
                errors(draft).get(field).is_none()
            };
            assert_eq!(code.is_match(sample), with(Field::Code), "code {sample:?}");
            assert_eq!(
                title.is_match(sample) && visible.is_match(sample),
                with(Field::Title),
                "title {sample:?}"
            );
            assert_eq!(
                description.is_match(sample),
                with(Field::Description),
                "description {sample:?}"
            );
        }
    }
}
