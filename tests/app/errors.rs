//! Every failure has its status and a styled page that gives nothing away.

use reqwest::StatusCode;
use student_registry::students::validation::BODY_LIMIT;

use crate::helpers::*;

#[tokio::test]
async fn an_unknown_student_is_a_styled_404_linking_home() {
    let app = spawn_app().await;
    for path in [
        "/999/",
        "/999/edit/",
        "/99999999999999999999/",
        "/abc/",
        "/no/such/page",
    ] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            text(&html, "h1").as_deref(),
            Some("Page not found"),
            "{path}"
        );
        assert_eq!(
            attr(&html, ".error-page a", "href").as_deref(),
            Some("/"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn editing_an_unknown_student_is_a_404() {
    let app = spawn_app().await;
    let response = app
        .post_form("/999/edit/", &with(sammy(), "version", "1"))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn a_wrong_method_is_a_styled_405() {
    let app = spawn_app().await;
    for (method, path) in [
        ("PUT", "/create/"),
        ("DELETE", "/"),
        ("POST", "/"),
        ("GET", "/1/delete/"),
    ] {
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("<h1>Method not allowed</h1>")
        );
    }
}

#[tokio::test]
async fn a_form_over_the_body_limit_is_refused_with_413() {
    let app = spawn_app().await;
    let response = app
        .post_form("/create/", &with(sammy(), "bio", &"x".repeat(BODY_LIMIT)))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.text().await.unwrap().contains("Too much data"));
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_a_valid_form_is_a_400() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    let not_utf8 = [
        b"csrf_token=".as_slice(),
        token.as_bytes(),
        b"&firstname=%FF%FE".as_slice(),
    ]
    .concat();
    let cases: [(&str, Vec<u8>); 2] = [
        ("application/x-www-form-urlencoded", not_utf8),
        ("application/json", br#"{"firstname":"Sammy"}"#.to_vec()),
    ];
    for (content_type, body) in cases {
        let response = app
            .client
            .post(app.url("/create/"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{content_type}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("<h1>Bad request</h1>")
        );
    }
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn an_edit_without_its_version_is_a_400_not_an_overwrite() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let response = app
        .post_form(&format!("/{id}/edit/"), &with(sammy(), "city", "Elsewhere"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.student(id).unwrap().city.as_deref(), Some("Lisbon"));
}

#[tokio::test]
async fn an_unexpected_failure_is_a_500_page_that_reveals_nothing() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    // Break the database under the running app.
    drop_students_table(&app);
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = response.text().await.unwrap();
    assert!(body.contains("<h1>Something went wrong</h1>"));
    for secret in ["students", "table", "diesel", "sqlite", "SQL"] {
        assert!(!body.contains(secret), "the page mentions {secret}");
    }
}

#[tokio::test]
async fn a_nul_character_in_a_search_is_dropped_not_a_server_error() {
    // SQLite's full-text query parser reads a NUL as the end of the string.
    let app = spawn_app().await;
    app.create(&sammy()).await;
    for path in ["/?q=sha%00rk", "/?q=%00", "/api/students?q=sha%00rk"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.text().await.unwrap().contains("Sammy"), "{path}");
    }
}
