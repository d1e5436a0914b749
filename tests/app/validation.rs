//! Bad input: a clear message beside each field, everything typed kept,
//! nothing stored.

use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::*;

async fn submit_create(app: &TestApp, fields: &[(&str, String)]) -> (StatusCode, Html) {
    let response = app.post_form("/create/", fields).await;
    let status = response.status();
    (
        status,
        Html::parse_document(&response.text().await.unwrap()),
    )
}

#[tokio::test]
async fn each_rule_shows_its_message_beside_its_field() {
    let app = spawn_app().await;
    let cases: &[(&str, &str, &str)] = &[
        ("firstname", "   ", "First name is required"),
        ("lastname", "", "Last name is required"),
        ("email", "", "Email is required"),
        (
            "email",
            "not-an-email",
            "Enter an email address like name@example.com",
        ),
        (
            "email",
            &format!("{}@example.com", "a".repeat(69)),
            "Email must be at most 80 characters (it has 81)",
        ),
        (
            "firstname",
            &"x".repeat(101),
            "First name must be at most 100 characters (it has 101)",
        ),
        (
            "lastname",
            &"y".repeat(101),
            "Last name must be at most 100 characters (it has 101)",
        ),
        ("age", "twenty", "Age must be a whole number, like 23"),
        ("age", "0", "Age must be a whole number from 1 to 150"),
        ("age", "151", "Age must be a whole number from 1 to 150"),
        ("age", "-1", "Age must be a whole number from 1 to 150"),
        (
            "bio",
            &"b".repeat(10_001),
            "Bio must be at most 10000 characters (it has 10001)",
        ),
        (
            "city",
            &"c".repeat(81),
            "City must be at most 80 characters (it has 81)",
        ),
    ];
    for (field, value, message) in cases {
        let (status, html) = submit_create(&app, &with(sammy(), field, value)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value:?}"
        );
        assert_eq!(
            field_error(&html, field).as_deref(),
            Some(*message),
            "{field}={value:?}"
        );
        assert_eq!(
            attr(&html, &format!("[name={field}]"), "aria-invalid").as_deref(),
            Some("true")
        );
        let described_by = attr(&html, &format!("[name={field}]"), "aria-describedby").unwrap();
        assert!(
            described_by
                .split(' ')
                .any(|id| id == format!("{field}-error")),
            "{described_by}"
        );
        assert_eq!(field_value(&html, field), *value, "what was typed is kept");
        assert_eq!(
            text(&html, ".error-summary h2").as_deref(),
            Some("1 problem prevents saving this student")
        );
    }
    assert!(app.students().is_empty(), "nothing invalid was stored");
}

#[tokio::test]
async fn several_problems_are_summarised_and_every_value_is_kept() {
    let app = spawn_app().await;
    let fields = with(
        with(with(sammy(), "firstname", ""), "email", "nope"),
        "bio",
        "kept <b>bio</b> & \"quotes\"",
    );
    let (status, html) = submit_create(&app, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        text(&html, ".error-summary h2").as_deref(),
        Some("2 problems prevent saving this student")
    );
    assert_eq!(
        select(&html, ".error-summary a"),
        [
            "First name is required",
            "Enter an email address like name@example.com"
        ]
    );
    assert_eq!(
        attr(&html, ".error-summary a", "href").as_deref(),
        Some("#firstname")
    );
    for (name, value) in &fields {
        assert_eq!(&field_value(&html, name), value, "{name}");
    }
    assert_eq!(
        field_error(&html, "lastname"),
        None,
        "valid fields have no message"
    );
}

#[tokio::test]
async fn optional_fields_may_be_left_empty() {
    let app = spawn_app().await;
    let fields = with(with(with(sammy(), "age", ""), "bio", ""), "city", "   ");
    let id = app.create(&fields).await;
    let student = app.student(id).unwrap();
    assert_eq!((student.age, student.bio, student.city), (None, None, None));
}

#[tokio::test]
async fn names_and_email_are_stored_trimmed() {
    let app = spawn_app().await;
    let fields = with(
        with(sammy(), "firstname", "  Sammy  "),
        "email",
        "  sammyshark@example.com ",
    );
    let id = app.create(&fields).await;
    let student = app.student(id).unwrap();
    assert_eq!(student.firstname, "Sammy");
    assert_eq!(student.email, "sammyshark@example.com");
}

#[tokio::test]
async fn a_duplicate_email_ignoring_case_is_a_message_not_a_crash() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    let (status, html) =
        submit_create(&app, &with(sammy(), "email", "SammyShark@Example.COM")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&html, "email").as_deref(),
        Some("Another student already uses this email address")
    );
    assert_eq!(field_value(&html, "email"), "SammyShark@Example.COM");
    assert_eq!(app.students().len(), 1);
}

#[tokio::test]
async fn editing_to_another_students_email_is_refused_with_a_message() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    let carl = app
        .create(&with(sammy(), "email", "carl@example.com"))
        .await;
    let (_, html) = app.page(&format!("/{carl}/edit/")).await;
    let version = field_value(&html, "version");
    let response = app
        .post_form(
            &format!("/{carl}/edit/"),
            &with(
                with(sammy(), "email", "SAMMYSHARK@example.com"),
                "version",
                &version,
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        field_error(&html, "email").as_deref(),
        Some("Another student already uses this email address")
    );
    assert_eq!(app.student(carl).unwrap().email, "carl@example.com");
}

#[tokio::test]
async fn an_invalid_edit_keeps_the_stored_student_unchanged() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let before = app.student(id).unwrap();
    let (_, html) = app.page(&format!("/{id}/edit/")).await;
    let version = field_value(&html, "version");
    let response = app
        .post_form(
            &format!("/{id}/edit/"),
            &with(with(sammy(), "age", "200"), "version", &version),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        field_error(&html, "age").as_deref(),
        Some("Age must be a whole number from 1 to 150")
    );
    assert_eq!(
        field_value(&html, "version"),
        version,
        "still editing the same version"
    );
    assert_eq!(app.student(id).unwrap(), before);
}

#[tokio::test]
async fn fields_missing_from_the_form_are_treated_as_empty() {
    let app = spawn_app().await;
    let (status, html) = submit_create(&app, &[("firstname", "Only".into())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&html, "lastname").as_deref(),
        Some("Last name is required")
    );
    assert_eq!(
        field_error(&html, "email").as_deref(),
        Some("Email is required")
    );
}

#[tokio::test]
async fn a_nul_character_is_a_message_not_a_server_error() {
    // SQLite's length() stops at the first NUL, so a name starting with one
    // would break the table's CHECK; the rule refuses it first.
    let app = spawn_app().await;
    for (field, value) in [
        ("firstname", "\0Sammy"),
        ("lastname", "Sh\0ark"),
        ("city", "\0"),
        ("bio", "a\0b"),
    ] {
        let (status, html) = submit_create(&app, &with(sammy(), field, value)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            field_error(&html, field)
                .unwrap_or_default()
                .contains("must not contain NUL characters"),
            "{field}"
        );
    }
    assert!(app.students().is_empty());
}
