//! The rules, one behaviour at a time, each tried on the one valid `draft()`.

use super::*;

fn draft() -> StudentDraft {
    StudentDraft {
        firstname: "Sammy".into(),
        lastname: "Shark".into(),
        email: "sammyshark@example.com".into(),
        age: "20".into(),
        bio: "Marine biology student".into(),
        city: "Lisbon".into(),
    }
}

fn errors_of(draft: StudentDraft) -> FieldErrors {
    draft.validate().expect_err("draft should be rejected")
}

/// The valid draft with one field as typed. No `_` arm: a new field must be
/// given its place here.
fn with_field(field: Field, typed: &str) -> StudentDraft {
    let mut draft = draft();
    *match field {
        Field::Firstname => &mut draft.firstname,
        Field::Lastname => &mut draft.lastname,
        Field::Email => &mut draft.email,
        Field::Age => &mut draft.age,
        Field::Bio => &mut draft.bio,
        Field::City => &mut draft.city,
    } = typed.into();
    draft
}

/// What `field` is told when it alone is typed as `typed`; `None` if accepted.
fn message_for(field: Field, typed: &str) -> Option<String> {
    let errors = with_field(field, typed).validate().err()?;
    errors.get(field).map(str::to_owned)
}

/// Asserts that each of `fields` is told "<its label> <rule>".
#[track_caller]
fn assert_each_told(errors: &FieldErrors, fields: &[Field], rule: &str, case: &str) {
    for &field in fields {
        let expected = format!("{} {rule}", field.label());
        assert_eq!(errors.get(field), Some(expected.as_str()), "{case}");
    }
}

#[test]
fn a_complete_draft_becomes_trimmed_details() {
    let details = StudentDraft {
        firstname: "  Sammy ".into(),
        email: " sammyshark@example.com ".into(),
        age: " 20 ".into(),
        ..draft()
    }
    .validate()
    .unwrap();
    assert_eq!(details.firstname, "Sammy");
    assert_eq!(details.email, "sammyshark@example.com");
    assert_eq!(details.age, Some(20));
    assert_eq!(details.city.as_deref(), Some("Lisbon"));
}

#[test]
fn optional_fields_left_blank_are_none() {
    let details = StudentDraft {
        age: "".into(),
        bio: "  \r\n ".into(),
        city: " ".into(),
        ..draft()
    }
    .validate()
    .unwrap();
    assert_eq!((details.age, details.bio, details.city), (None, None, None));
}

#[test]
fn bio_keeps_its_inner_spacing_with_unix_newlines() {
    let details = with_field(Field::Bio, "  line one\r\n  line \"two\" & <three>")
        .validate()
        .unwrap();
    assert_eq!(
        details.bio.as_deref(),
        Some("  line one\n  line \"two\" & <three>")
    );
}

#[test]
fn required_fields_say_so() {
    let errors = errors_of(StudentDraft {
        firstname: "   ".into(),
        lastname: "".into(),
        email: " ".into(),
        ..draft()
    });
    assert_eq!(errors.get(Field::Firstname), Some("First name is required"));
    assert_eq!(errors.get(Field::Lastname), Some("Last name is required"));
    assert_eq!(errors.get(Field::Email), Some("Email is required"));
    assert_eq!(errors.len(), 3);
}

#[test]
fn lengths_are_counted_in_characters() {
    assert!(
        with_field(Field::Firstname, &"é".repeat(100))
            .validate()
            .is_ok()
    );
    assert_eq!(
        message_for(Field::Firstname, &"é".repeat(101)),
        Some("First name must be at most 100 characters (it has 101)".into())
    );
    let city = message_for(Field::City, &"x".repeat(81));
    assert!(city.unwrap().contains("at most 80"));
    let bio = message_for(Field::Bio, &"b".repeat(10_001));
    assert!(bio.unwrap().contains("at most 10000"));
}

#[test]
fn email_must_be_an_address_of_at_most_80_characters() {
    for bad in ["sammy", "sammy@", "@example.com", "a b@example.com"] {
        assert_eq!(
            message_for(Field::Email, bad),
            Some("Enter an email address like name@example.com".into()),
            "{bad}"
        );
    }
    let long = format!("{}@example.com", "a".repeat(69));
    assert_eq!(long.len(), 81);
    let message = message_for(Field::Email, &long);
    assert!(message.unwrap().contains("at most 80"));
}

#[test]
fn age_is_a_whole_number_from_1_to_150() {
    for ok in ["1", "150", "23"] {
        assert!(with_field(Field::Age, ok).validate().is_ok(), "{ok}");
    }
    for bad in ["0", "151", "-3", "99999999999999"] {
        assert_eq!(
            message_for(Field::Age, bad),
            Some("Age must be a whole number from 1 to 150".into()),
            "{bad}"
        );
    }
    for bad in ["twenty", "20.5", "1e2"] {
        assert_eq!(
            message_for(Field::Age, bad),
            Some("Age must be a whole number, like 23".into()),
            "{bad}"
        );
    }
}

#[test]
fn nul_characters_are_refused_in_every_text_field() {
    let errors = errors_of(StudentDraft {
        firstname: "\0Sammy".into(),
        bio: "a\0b".into(),
        ..draft()
    });
    assert_eq!(
        errors.get(Field::Firstname),
        Some("First name must not contain NUL characters")
    );
    assert_eq!(
        errors.get(Field::Bio),
        Some("Bio must not contain NUL characters")
    );
    assert_eq!(errors.len(), 2);
}

#[test]
fn emails_are_stored_with_their_domain_in_standard_form() {
    for (typed, stored) in [
        ("sammy@example.com", "sammy@example.com"),
        ("Sammy@EXAMPLE.com", "Sammy@example.com"),
        // Kelvin sign, fullwidth e, decomposed é, dotted capital I.
        ("sammy@\u{212A}elvin.example", "sammy@kelvin.example"),
        ("sammy@\u{FF45}xample.com", "sammy@example.com"),
        ("sammy@cafe\u{301}.example", "sammy@caf\u{E9}.example"),
        ("sammy@CAF\u{C9}.example", "sammy@caf\u{E9}.example"),
        ("sammy@\u{130}zmir.example", "sammy@i\u{307}zmir.example"),
        ("sammy@I\u{307}zmir.example", "sammy@i\u{307}zmir.example"),
        // Punycode is the same domain as its Unicode form.
        ("sammy@xn--bcher-kva.example", "sammy@b\u{FC}cher.example"),
        // IDNA 2008: ß is its own letter in a domain, not "ss".
        ("sammy@STRASSE.example", "sammy@strasse.example"),
        ("sammy@stra\u{DF}e.example", "sammy@stra\u{DF}e.example"),
        // Not an address: left for the email rule.
        ("sammy", "sammy"),
        ("sammy@[127.0.0.1]", "sammy@[127.0.0.1]"),
    ] {
        assert_eq!(standard_email(typed), stored, "{typed}");
        let details = with_field(Field::Email, typed).validate();
        if stored.contains('.') {
            assert_eq!(details.expect(typed).email, stored);
        }
    }
}

#[test]
fn a_domain_that_maps_to_nothing_valid_is_not_an_email() {
    for typed in [
        "a@\u{AD}",
        "a@\u{200B}",
        "a@.",
        "a@xn--",
        "a@xn--zz-",
        "a@b..c",
    ] {
        assert_eq!(
            message_for(Field::Email, typed),
            Some("Enter an email address like name@example.com".into()),
            "{typed:?} became {:?}",
            standard_email(typed)
        );
    }
}

#[test]
fn the_length_limit_applies_to_the_email_as_stored() {
    // U+3392 (a compatibility character) is "mhz" in a domain: 80
    // characters typed are 82 stored, one over the column's limit.
    let typed = format!("{}@\u{3392}{}.example", "a".repeat(60), "b".repeat(10));
    assert_eq!(typed.chars().count(), 80);
    assert_eq!(
        message_for(Field::Email, &typed),
        Some("Email must be at most 80 characters (it has 82)".into())
    );
}

#[test]
fn a_non_ascii_local_part_is_refused_with_its_own_message() {
    for typed in ["\u{212A}ate@example.com", "jos\u{E9}@example.com"] {
        assert_eq!(
            message_for(Field::Email, typed),
            Some(
                "Email must use only unaccented Latin letters, digits and punctuation before the @"
                    .into()
            ),
            "{typed}"
        );
    }
}

#[test]
fn text_of_only_invisible_characters_is_refused() {
    for invisible in [
        "\u{200B}",
        "\u{FEFF}",
        "\u{200B} \u{2060}\u{200D}",
        "\u{3164}",
        "\u{AD}",
    ] {
        let errors = errors_of(StudentDraft {
            firstname: invisible.into(),
            lastname: format!(" {invisible} "),
            city: invisible.into(),
            bio: invisible.into(),
            email: invisible.into(),
            ..draft()
        });
        assert_each_told(
            &errors,
            &[
                Field::Firstname,
                Field::Lastname,
                Field::City,
                Field::Bio,
                Field::Email,
            ],
            "must contain visible characters",
            &format!("{invisible:?}"),
        );
    }
    // Invisible characters inside visible text are someone's spelling:
    // a zero-width non-joiner in a Persian name, an emoji sequence.
    let details = StudentDraft {
        firstname: "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}".into(),
        city: "\u{2764}\u{FE0F} Lisbon".into(),
        ..draft()
    }
    .validate()
    .unwrap();
    assert_eq!(details.city.as_deref(), Some("\u{2764}\u{FE0F} Lisbon"));
}

#[test]
fn direction_controls_are_refused_in_one_line_fields() {
    for control in [
        '\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{61C}',
    ] {
        let errors = errors_of(StudentDraft {
            firstname: format!("Sam{control}my"),
            lastname: format!("{control}Shark"),
            email: format!("sammy@exa{control}mple.com"),
            city: format!("Lis{control}bon"),
            ..draft()
        });
        assert_each_told(
            &errors,
            &[Field::Firstname, Field::Lastname, Field::Email, Field::City],
            "must not contain text-direction control characters",
            &format!("U+{:04X}", control as u32),
        );
    }
}

#[test]
fn the_bio_refuses_overrides_but_keeps_marks_tabs_and_line_breaks() {
    for control in ['\u{202E}', '\u{2067}'] {
        assert_eq!(
            message_for(Field::Bio, &format!("line one\n{control}gnissim")),
            Some("Bio must not contain text-direction control characters".into())
        );
    }
    let bio = "\u{5E9}\u{5DC}\u{5D5}\u{5DD} (Shalom)\u{200F}\nline\ttwo\u{2028}three";
    let details = with_field(Field::Bio, bio).validate().unwrap();
    assert_eq!(details.bio.as_deref(), Some(bio));
}

#[test]
fn control_characters_are_refused() {
    let errors = errors_of(StudentDraft {
        firstname: "Sam\tmy".into(),
        lastname: "Sh\nark".into(),
        city: "Lis\u{85}bon".into(),
        email: "sammy@exa\u{2028}mple.com".into(),
        bio: "ring \u{7} the bell, \u{1B}[31m red".into(),
        ..draft()
    });
    assert_each_told(
        &errors,
        &[Field::Firstname, Field::Lastname, Field::Email, Field::City],
        "must be one line, without control characters such as tabs or line breaks",
        "",
    );
    assert_eq!(
        errors.get(Field::Bio),
        Some("Bio must not contain control characters other than line breaks and tabs")
    );
    // Surrounding white space, tabs and line breaks included, is trimmed.
    let details = with_field(Field::Firstname, "\tSammy\r\n")
        .validate()
        .unwrap();
    assert_eq!(details.firstname, "Sammy");
}

#[test]
fn the_body_limit_fits_every_field_at_its_limit_in_any_script() {
    // Each character at its widest: a 4-byte character percent-encoded.
    let mut body = format!("version=2147483647&csrf_token={}", "x".repeat(100));
    for field in Field::ALL {
        let widest = "%F0%9F%98%80".repeat(field.max_chars() as usize);
        body.push_str(&format!("&{}={widest}", field.name()));
    }
    assert!(body.len() <= BODY_LIMIT, "{} > {BODY_LIMIT}", body.len());
    assert!(BODY_LIMIT.is_multiple_of(1024));
    assert_eq!(Field::Age.max_chars(), AGE_MAX.to_string().len() as u64);
}

#[test]
fn the_trimmed_characters_class_names_exactly_what_trim_removes() {
    // `\uXXXX` escapes, a `-` between two of them making a range.
    let mut named = vec![false; 0x11_0000];
    let mut range_start = None;
    for escape in TRIMMED_CHARS_CLASS.split(r"\u").skip(1) {
        let (code, dash) = escape.split_at(4);
        let code = usize::from_str_radix(code, 16).unwrap();
        if dash == "-" {
            range_start = Some(code);
        } else {
            assert!(dash.is_empty(), "{escape}");
            named[range_start.take().unwrap_or(code)..=code].fill(true);
        }
    }
    for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
        let trimmed = c.to_string().trim().is_empty();
        assert_eq!(named[c as usize], trimmed, "U+{:04X}", c as u32);
    }
}

#[test]
fn errors_come_in_form_order() {
    let errors = errors_of(StudentDraft {
        city: "x".repeat(81),
        firstname: "".into(),
        age: "x".into(),
        ..draft()
    });
    let fields: Vec<Field> = errors.iter().map(|(field, _)| field).collect();
    assert_eq!(fields, [Field::Firstname, Field::Age, Field::City]);
}
