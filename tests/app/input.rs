//! Input that used to slip through: emails that are one address written two
//! ways, text that shows nothing or reorders itself, and a bio at its limit
//! in a script that takes more bytes than the body limit allowed.

use diesel::connection::SimpleConnection;
use diesel_migrations::MigrationHarness;
use reqwest::StatusCode;
use scraper::Html;
use serde_json::{Value, json};
use student_registry::students::validation::{
    BIO_MAX, BODY_LIMIT, CITY_MAX, EMAIL_MAX, EMAIL_TAKEN, NAME_MAX,
};

use crate::helpers::*;

async fn submit_create(app: &TestApp, fields: &[(&str, String)]) -> (StatusCode, Html) {
    let response = app.post_form("/create/", fields).await;
    let status = response.status();
    (
        status,
        Html::parse_document(&response.text().await.unwrap()),
    )
}

/// POSTs a JSON body (already serialised) to the API.
async fn api_create(app: &TestApp, body: String) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/api/students"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("POST");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

fn json_student(email: &str) -> String {
    json!({"firstname": "Sammy", "lastname": "Shark", "email": email}).to_string()
}

/// Each pair is one address written two ways: by the Kelvin sign, a
/// fullwidth letter, a decomposed accent, a dotted capital I, Punycode, and
/// capitals in the domain. The part before the @ is ASCII (see below).
const SAME_ADDRESS: [(&str, &str); 6] = [
    ("kate@kelvin.example", "kate@\u{212A}elvin.example"),
    ("erin@example.com", "erin@\u{FF45}xample.com"),
    ("ana@caf\u{E9}.example", "ana@cafe\u{301}.example"),
    ("ida@\u{130}zmir.example", "ida@i\u{307}zmir.example"),
    ("bo@b\u{FC}cher.example", "bo@xn--bcher-kva.example"),
    ("zoe@stra\u{DF}e.example", "Zoe@STRA\u{DF}E.Example"),
];

#[tokio::test]
async fn emails_that_differ_only_in_unicode_form_are_one_person_through_the_form() {
    let app = spawn_app().await;
    for (first, second) in SAME_ADDRESS {
        app.create(&with(sammy(), "email", first)).await;
        let (status, html) = submit_create(&app, &with(sammy(), "email", second)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{second}");
        assert_eq!(
            field_error(&html, "email").as_deref(),
            Some(EMAIL_TAKEN),
            "{second}"
        );
        assert_eq!(field_value(&html, "email"), second);
        // And the other way round, on a fresh pair of records.
        let id = app
            .create(&with(sammy(), "email", "other@example.org"))
            .await;
        let (_, html) = app.page(&format!("/{id}/edit/")).await;
        let version = field_value(&html, "version");
        let mut fields = with(sammy(), "email", second);
        fields.push(("version", version));
        let (status, html) = submit_create_at(&app, &format!("/{id}/edit/"), &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "edit to {second}");
        assert_eq!(field_error(&html, "email").as_deref(), Some(EMAIL_TAKEN));
        app.post_form(&format!("/{id}/delete/"), &[]).await;
    }
    assert_eq!(app.students().len(), SAME_ADDRESS.len());
}

async fn submit_create_at(
    app: &TestApp,
    path: &str,
    fields: &[(&str, String)],
) -> (StatusCode, Html) {
    let response = app.post_form(path, fields).await;
    let status = response.status();
    (
        status,
        Html::parse_document(&response.text().await.unwrap()),
    )
}

#[tokio::test]
async fn emails_that_differ_only_in_unicode_form_are_one_person_through_the_api() {
    let app = spawn_app().await;
    for (first, second) in SAME_ADDRESS {
        // Second first this time: whichever comes first is stored in the
        // standard form and the other is refused.
        let (status, created) = api_create(&app, json_student(second)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let (status, body) = api_create(&app, json_student(first)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{first}: {body}");
        assert_eq!(body["fields"]["email"], EMAIL_TAKEN);
    }
    assert_eq!(app.students().len(), SAME_ADDRESS.len());
}

#[tokio::test]
async fn the_domain_is_stored_in_its_standard_form() {
    let app = spawn_app().await;
    let id = app
        .create(&with(
            sammy(),
            "email",
            "Sammy@\u{FF25}XAMPLE.xn--bcher-kva.example",
        ))
        .await;
    assert_eq!(
        app.student(id).unwrap().email,
        "Sammy@example.b\u{FC}cher.example"
    );
}

#[tokio::test]
async fn sharp_s_and_ss_are_different_domains_as_in_dns() {
    // IDNA 2008 made ß a letter of its own: straße.example and
    // strasse.example can belong to different people.
    let app = spawn_app().await;
    app.create(&with(sammy(), "email", "max@stra\u{DF}e.example"))
        .await;
    app.create(&with(sammy(), "email", "max@strasse.example"))
        .await;
    assert_eq!(app.students().len(), 2);
}

#[tokio::test]
async fn a_non_ascii_part_before_the_at_is_refused_with_a_clear_message() {
    let app = spawn_app().await;
    for email in ["\u{212A}ate@example.com", "jos\u{E9}@example.com"] {
        let (status, html) = submit_create(&app, &with(sammy(), "email", email)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            field_error(&html, "email").as_deref(),
            Some(
                "Email must use only unaccented Latin letters, digits and punctuation before the @"
            )
        );
        assert_eq!(field_value(&html, "email"), email);
    }
    assert!(app.students().is_empty());
}

fn long_email() -> String {
    format!("{}@\u{3392}.example", "a".repeat(70))
}

#[tokio::test]
async fn stored_emails_are_brought_into_standard_form_at_start_up() {
    let database = TestDatabase::new();
    {
        let mut conn = database.connect();
        conn.run_pending_migrations(database.migrations()).unwrap();
        // As an earlier version stored them. Students 2 and 3 are one
        // address: both are kept, and student 2 cannot be saved with it.
        conn.batch_execute(
            "INSERT INTO students (firstname, lastname, email) VALUES
                ('Kate', 'K', 'kate@\u{212A}elvin.example'),
                ('Ana', 'Decomposed', 'ana@cafe\u{301}.example'),
                ('Ana', 'Composed', 'ana@caf\u{E9}.example'),
                ('Zed', 'Capitals', 'Zed@Example.com'),
                ('Sam', 'Plain', 'sam@example.com');",
        )
        .unwrap();
        // 80 characters as stored; its standard form (`mhz`) would be 82,
        // past the column's limit: kept, and the app still starts.
        conn.batch_execute(&format!(
            "INSERT INTO students (firstname, lastname, email) VALUES ('Long', 'Domain', '{}');",
            long_email()
        ))
        .unwrap();
    }
    let app = spawn_app_on(database, |_| {}).await;
    let rows: Vec<(i32, String, i32)> = app
        .students()
        .into_iter()
        .map(|s| (s.id, s.email, s.version))
        .collect();
    assert_eq!(
        rows,
        [
            (1, "kate@kelvin.example".to_owned(), 2),
            (2, "ana@cafe\u{301}.example".to_owned(), 1),
            (3, "ana@caf\u{E9}.example".to_owned(), 1),
            (4, "Zed@example.com".to_owned(), 2),
            (5, "sam@example.com".to_owned(), 1),
            (6, long_email(), 1),
        ]
    );
    let (status, html) = submit_create(&app, &with(sammy(), "email", "kate@kelvin.example")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&html, "email").as_deref(), Some(EMAIL_TAKEN));
}

#[tokio::test]
async fn text_of_only_invisible_characters_is_refused_beside_its_field() {
    let app = spawn_app().await;
    for invisible in ["\u{200B}", "\u{FEFF}", " \u{200B}\u{2060} ", "\u{3164}"] {
        let fields = with(
            with(
                with(with(sammy(), "firstname", invisible), "lastname", invisible),
                "city",
                invisible,
            ),
            "bio",
            invisible,
        );
        let (status, html) = submit_create(&app, &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invisible:?}");
        for (name, label) in [
            ("firstname", "First name"),
            ("lastname", "Last name"),
            ("city", "City"),
            ("bio", "Bio"),
        ] {
            assert_eq!(
                field_error(&html, name),
                Some(format!("{label} must contain visible characters")),
                "{name} {invisible:?}"
            );
            assert_eq!(field_value(&html, name), invisible, "{name}");
        }
        let (status, body) = api_create(
            &app,
            json!({"firstname": invisible, "lastname": "Shark", "email": "s@example.com"})
                .to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body["fields"]["firstname"],
            "First name must contain visible characters"
        );
    }
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn direction_and_control_characters_are_refused_beside_their_field() {
    let app = spawn_app().await;
    let fields = with(
        with(
            with(
                with(sammy(), "firstname", "Sam\u{202E}ym"),
                "lastname",
                "\u{200F}Shark",
            ),
            "email",
            "sammy@exa\u{2066}mple.com",
        ),
        "city",
        "Lis\u{202D}bon",
    );
    let fields = with(fields, "bio", "Hello\n\u{202E}dlrow");
    let (status, html) = submit_create(&app, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for (name, label) in [
        ("firstname", "First name"),
        ("lastname", "Last name"),
        ("email", "Email"),
        ("city", "City"),
        ("bio", "Bio"),
    ] {
        assert_eq!(
            field_error(&html, name),
            Some(format!(
                "{label} must not contain text-direction control characters"
            )),
            "{name}"
        );
    }
    assert_eq!(field_value(&html, "firstname"), "Sam\u{202E}ym");

    let (status, html) = submit_create(&app, &with(sammy(), "city", "Lis\u{1B}[2Jbon")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&html, "city").as_deref(),
        Some("City must be one line, without control characters such as tabs or line breaks")
    );

    let (status, body) = api_create(
        &app,
        json!({"firstname": "Sammy", "lastname": "Sh\nark", "email": "s@example.com",
               "bio": "a\u{7}b"})
        .to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["fields"]["lastname"],
        "Last name must be one line, without control characters such as tabs or line breaks"
    );
    assert_eq!(
        body["fields"]["bio"],
        "Bio must not contain control characters other than line breaks and tabs"
    );
    assert!(app.students().is_empty());

    // Direction marks, tabs and line breaks in a bio are someone's writing.
    let bio = "\u{5E9}\u{5DC}\u{5D5}\u{5DD}\u{200F} (hello)\r\n\tsecond line";
    let id = app.create(&with(sammy(), "bio", bio)).await;
    assert_eq!(
        app.student(id).unwrap().bio.as_deref(),
        Some(bio.replace("\r\n", "\n").as_str())
    );
}

/// A student with every field at its limit, each character `wide`.
fn widest_student(wide: char) -> Vec<(&'static str, String)> {
    let repeat = |n: u64| wide.to_string().repeat(n as usize);
    // The part before the @ is ASCII; the domain can be as wide as a name.
    let domain = format!("{}.example", "\u{4F8B}".repeat(10));
    // One address per character, so each student has its own.
    let local = format!("{:x}", wide as u32);
    let local =
        local.clone() + &"a".repeat(EMAIL_MAX as usize - 1 - domain.chars().count() - local.len());
    vec![
        ("firstname", repeat(NAME_MAX)),
        ("lastname", repeat(NAME_MAX)),
        ("email", format!("{local}@{domain}")),
        ("age", "150".into()),
        ("bio", repeat(BIO_MAX)),
        ("city", repeat(CITY_MAX)),
    ]
}

#[tokio::test]
async fn every_field_at_its_limit_in_emoji_or_cjk_is_stored_through_the_form() {
    let app = spawn_app().await;
    for wide in ['\u{1F600}', '\u{4E2D}'] {
        let fields = widest_student(wide);
        let id = app.create(&fields).await;
        let student = app.student(id).unwrap();
        let value = |name: &str| fields.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(student.firstname, value("firstname"));
        assert_eq!(student.lastname, value("lastname"));
        assert_eq!(student.email, value("email"));
        assert_eq!(student.bio, Some(value("bio")));
        assert_eq!(student.city, Some(value("city")));
        // And it shows in the edit form, ready to be sent again.
        let (_, html) = app.page(&format!("/{id}/edit/")).await;
        assert_eq!(
            field_value(&html, "bio").trim_start_matches('\n'),
            value("bio")
        );
    }
}

#[tokio::test]
async fn every_field_at_its_limit_in_escaped_emoji_is_stored_through_the_api() {
    let app = spawn_app().await;
    // Each emoji written as its escaped surrogate pair: 12 bytes of JSON.
    let escaped = |n: u64| r"\ud83d\ude00".repeat(n as usize);
    let domain = format!("{}.example", "\u{4F8B}".repeat(10));
    let local = "a".repeat(EMAIL_MAX as usize - 1 - domain.chars().count());
    let body = format!(
        r#"{{"firstname": "{}", "lastname": "{}", "email": "{local}@{domain}", "age": 150, "bio": "{}", "city": "{}"}}"#,
        escaped(NAME_MAX),
        escaped(NAME_MAX),
        escaped(BIO_MAX),
        escaped(CITY_MAX),
    );
    assert!(body.len() > 120_000);
    let (status, record) = api_create(&app, body).await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    let emoji = |n: u64| "\u{1F600}".repeat(n as usize);
    assert_eq!(record["bio"], emoji(BIO_MAX));
    let stored = app.student(record["id"].as_i64().unwrap() as i32).unwrap();
    assert_eq!(stored.bio, Some(emoji(BIO_MAX)));
    assert_eq!(stored.city, Some(emoji(CITY_MAX)));
}

#[tokio::test]
async fn a_body_over_the_limit_is_still_a_413_on_both_ways_in() {
    let app = spawn_app().await;
    let response = app
        .post_form("/create/", &with(sammy(), "bio", &"x".repeat(BODY_LIMIT)))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(&format!("({} KB)", BODY_LIMIT / 1024)),
        "{page}"
    );
    let (status, body) = api_create(
        &app,
        json!({"firstname": "Sammy", "lastname": "Shark", "email": "s@example.com",
               "bio": "x".repeat(BODY_LIMIT)})
        .to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body["error"],
        format!(
            "the request body is larger than this API accepts ({} KB)",
            BODY_LIMIT / 1024
        )
    );
    assert!(app.students().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_with_one_address_spelled_many_ways_yield_one_201() {
    // The database's unique index decides, on the standard form: no 500.
    let app = spawn_app().await;
    let spellings = [
        "racer@kelvin.example",
        "racer@\u{212A}elvin.example",
        "RACER@\u{FF2B}ELVIN.example",
        "Racer@KELVIN.EXAMPLE",
    ];
    let replies = futures::future::join_all(
        (0..20).map(|n| api_create(&app, json_student(spellings[n % spellings.len()]))),
    )
    .await;
    let statuses: Vec<StatusCode> = replies.iter().map(|(status, _)| *status).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    for (status, body) in &replies {
        if *status != StatusCode::CREATED {
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
            assert_eq!(body["fields"]["email"], EMAIL_TAKEN);
        }
    }
    assert_eq!(app.students().len(), 1);
}
