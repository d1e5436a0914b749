//! HTTP as clients expect it: HEAD wherever GET works, `Allow` on every 405,
//! a lenient index query, and no caching of pages that show records (static
//! files: `static_files.rs`).

use reqwest::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use crate::helpers::*;

fn header(response: &Response, name: impl reqwest::header::AsHeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

async fn send(app: &TestApp, method: Method, path: &str) -> Response {
    app.client
        .request(method, app.url(path))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    app.get("/").await; // shows, and so clears, the "added" message
    for path in [
        "/".to_owned(),
        "/?q=shark&sort=age".to_owned(),
        format!("/{id}/"),
        "/create/".to_owned(),
        format!("/{id}/edit/"),
        "/healthz".to_owned(),
        "/create".to_owned(),
        "/999999/".to_owned(),
        "/static/style.css".to_owned(),
    ] {
        let get = send(&app, Method::GET, &path).await;
        let head = send(&app, Method::HEAD, &path).await;
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        for name in [CONTENT_TYPE, CONTENT_LENGTH, CACHE_CONTROL] {
            assert_eq!(
                header(&head, &name),
                header(&get, &name),
                "{name} of {path}"
            );
        }
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
}

#[tokio::test]
async fn a_405_says_which_methods_the_url_takes() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    for (method, path, allow) in [
        (Method::DELETE, "/".to_owned(), "GET, HEAD"),
        (Method::PUT, "/create/".to_owned(), "GET, HEAD, POST"),
        (Method::POST, format!("/{id}/"), "GET, HEAD"),
        (Method::PATCH, format!("/{id}/edit/"), "GET, HEAD, POST"),
        (Method::GET, format!("/{id}/delete/"), "POST"),
        (Method::POST, "/healthz".to_owned(), "GET, HEAD"),
        (Method::POST, "/static/style.css".to_owned(), "GET, HEAD"),
        (
            Method::DELETE,
            "/static/missing.css".to_owned(),
            "GET, HEAD",
        ),
    ] {
        let response = send(&app, method.clone(), &path).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            header(&response, "allow").as_deref(),
            Some(allow),
            "{method} {path}"
        );
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Method not allowed") && body.contains("</html>"),
            "the styled page for {method} {path}: {body}"
        );
    }
    assert!(app.student(id).is_some());
}

#[tokio::test]
async fn repeated_index_parameters_count_once_as_their_first_value() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    app.create(&with(
        with(sammy(), "firstname", "Ada"),
        "email",
        "ada@example.com",
    ))
    .await;
    let (status, html) = app.page("/?q=ada&q=sammy").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        attr(&html, "input[name=q]", "value").as_deref(),
        Some("ada")
    );
    assert_eq!(select(&html, "tbody .cell-name a").len(), 1);
    for query in [
        "page=1&page=2",
        "per_page=1&per_page=2&sort=age&sort=name&dir=desc&dir=asc",
        "q=&q=ada",
        "q=%FF&page=%FF",
    ] {
        let (status, _) = app.page(&format!("/?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
    }
    let (_, html) = app.page("/?per_page=1&per_page=25").await;
    assert_eq!(select(&html, "tbody .cell-name a").len(), 1);

    // The API reads its parameters strictly, as documented: a 400 in its
    // own shape, not a 500.
    let response = app.get("/api/students?page=1&page=2").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn pages_that_show_records_and_error_pages_are_not_stored() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let mut responses = Vec::new();
    for path in [
        "/".to_owned(),
        format!("/{id}/"),
        "/create/".to_owned(),
        format!("/{id}/edit/"),
        "/no-such-page/".to_owned(),
        "/999999/".to_owned(),
    ] {
        responses.push((path.clone(), app.get(&path).await));
    }
    responses.push((
        "invalid POST /create/".into(),
        app.post_form("/create/", &with(sammy(), "email", "nope"))
            .await,
    ));
    responses.push((
        "forged POST /create/".into(),
        app.client
            .post(app.url("/create/"))
            .form(&sammy())
            .send()
            .await
            .unwrap(),
    ));
    for (what, response) in responses {
        assert!(!response.status().is_server_error(), "{what}");
        assert_eq!(
            header(&response, CACHE_CONTROL).as_deref(),
            Some("no-store"),
            "{what}"
        );
    }

    // The API's records may be kept by the client only, and revalidated.
    let show = app.get(&format!("/api/students/{id}")).await;
    assert_eq!(
        header(&show, CACHE_CONTROL).as_deref(),
        Some("private, no-cache")
    );
    let list = app.get("/api/students").await;
    assert_eq!(
        header(&list, CACHE_CONTROL).as_deref(),
        Some("private, no-cache")
    );
    let not_modified = app
        .client
        .get(app.url(&format!("/api/students/{id}")))
        .header(IF_NONE_MATCH, header(&show, ETAG).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        header(&not_modified, CACHE_CONTROL).as_deref(),
        Some("private, no-cache"),
        "a 304 carries the 200's caching headers"
    );
}
