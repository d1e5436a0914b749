//! `/static/`: files compiled into the binary, linked by fingerprinted names
//! cached for a year; the plain names revalidated; anything else the styled
//! 404. And the binary, run from a folder with nothing in it, serves it all.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::{Client, Method, Response, StatusCode};
use scraper::Html;

use crate::helpers::*;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn header(response: &Response, name: impl reqwest::header::AsHeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

fn source(name: &str) -> String {
    let path = format!("{}/static/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// The stylesheet and script a page links.
fn linked_assets(html: &Html) -> (String, String) {
    let style = attr(html, "link[rel=stylesheet]", "href").expect("a stylesheet link");
    let script = attr(html, "script[src]", "src").expect("a script");
    (style, script)
}

/// `/static/<stem>.<ten hex digits>.<extension>`; the digits.
fn fingerprint<'a>(url: &'a str, stem: &str, extension: &str) -> &'a str {
    let hash = url
        .strip_prefix(&format!("/static/{stem}."))
        .and_then(|rest| rest.strip_suffix(&format!(".{extension}")))
        .unwrap_or_else(|| panic!("{url} is not /static/{stem}.<hash>.{extension}"));
    assert!(
        hash.len() == 10 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "{url}"
    );
    hash
}

#[tokio::test]
async fn pages_link_fingerprinted_files_cached_for_a_year() {
    let app = spawn_app().await;
    let (status, html) = app.page("/").await;
    assert_eq!(status, StatusCode::OK);
    let (style, script) = linked_assets(&html);
    let style_hash = fingerprint(&style, "style", "css");
    fingerprint(&script, "app", "js");
    // Every page has the same links (one base template), error pages too.
    let (_, create) = app.page("/create/").await;
    let (_, missing) = app.page("/no-such-page/").await;
    for other in [create, missing] {
        assert_eq!(linked_assets(&other), (style.clone(), script.clone()));
    }

    for (url, name, kind) in [
        (&style, "style.css", "text/css"),
        (&script, "app.js", "text/javascript"),
    ] {
        let response = app.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert!(
            header(&response, CONTENT_TYPE)
                .unwrap_or_default()
                .starts_with(kind),
            "{url}"
        );
        assert_eq!(header(&response, CACHE_CONTROL).as_deref(), Some(IMMUTABLE));
        let etag = header(&response, ETAG).expect("an ETag");
        // Weak: the same file is also sent compressed, as other bytes.
        assert!(etag.starts_with("W/\""), "a weak ETag: {etag}");
        assert_eq!(response.text().await.unwrap(), source(name), "{url}");
    }
    let etag = header(&app.get(&style).await, ETAG).unwrap();
    assert_eq!(etag, format!("W/\"{style_hash}\""));

    // Revalidation: the ETag, its strong form, or in a list; `*`.
    for condition in [
        etag.clone(),
        format!("\"{style_hash}\""),
        format!("\"other\", {etag}"),
        "*".to_owned(),
    ] {
        let response = app
            .client
            .get(app.url(&style))
            .header(IF_NONE_MATCH, &condition)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{condition}");
        assert_eq!(header(&response, CACHE_CONTROL).as_deref(), Some(IMMUTABLE));
        assert_eq!(header(&response, ETAG).as_deref(), Some(etag.as_str()));
        assert!(response.bytes().await.unwrap().is_empty());
    }
    for condition in ["\"other\"", "not a tag"] {
        let response = app
            .client
            .get(app.url(&style))
            .header(IF_NONE_MATCH, condition)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{condition}");
    }

    let get = app.get(&style).await;
    let head = app
        .client
        .request(Method::HEAD, app.url(&style))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    for name in [CONTENT_TYPE, CONTENT_LENGTH, CACHE_CONTROL, ETAG] {
        assert_eq!(header(&head, &name), header(&get, &name), "{name}");
    }
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn plain_names_still_answer_but_are_revalidated() {
    let app = spawn_app().await;
    let (_, html) = app.page("/").await;
    let (style, _) = linked_assets(&html);
    let fingerprinted_etag = header(&app.get(&style).await, ETAG).unwrap();

    let response = app.get("/static/style.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, CACHE_CONTROL).as_deref(),
        Some("no-cache")
    );
    let etag = header(&response, ETAG).expect("an ETag");
    assert_eq!(etag, fingerprinted_etag, "the same bytes, the same tag");
    assert_eq!(response.text().await.unwrap(), source("style.css"));
    let revalidated = app
        .client
        .get(app.url("/static/style.css"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        header(&revalidated, CACHE_CONTROL).as_deref(),
        Some("no-cache")
    );
    assert_eq!(app.get("/static/app.js").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_names_and_other_fingerprints_are_the_styled_404() {
    let app = spawn_app().await;
    let (_, html) = app.page("/").await;
    let (style, _) = linked_assets(&html);
    let hash = fingerprint(&style, "style", "css");
    for path in [
        "/static/missing.css".to_owned(),
        "/static/style.0123456789.css".to_owned(),
        format!("/static/style.{}.css", hash.to_uppercase()),
        format!("/static/app.{hash}.js"),
        format!("/static/style.{hash}.css/"),
        format!("/static/x/style.{hash}.css"),
        "/static/".to_owned(),
        "/static".to_owned(),
        "/static/.hidden".to_owned(),
        "/static/a*b.css".to_owned(),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let cache = header(&response, CACHE_CONTROL).unwrap_or_default();
        assert!(!cache.contains("public"), "{path}: {cache}");
        assert!(
            header(&response, CONTENT_TYPE)
                .unwrap_or_default()
                .starts_with("text/html"),
            "{path}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("Page not found"), "{path}: {body}");
    }
}

/// The server, stopped when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_pages_and_static_files_from_any_working_directory() {
    // Nothing here: no static/, no templates/, no migrations/, no .env.
    let cwd = tempfile::tempdir().unwrap();
    let db = TestDatabase::new();
    let port = free_port();
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_student-registry"))
            .arg("serve")
            .env("DATABASE_URL", db.url())
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .env_remove("SECRET_KEY")
            .current_dir(cwd.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run the binary"),
    );
    let address = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    let started = Instant::now();
    loop {
        let health = client.get(format!("{address}/healthz")).send().await;
        if health.is_ok_and(|response| response.status() == StatusCode::OK) {
            break;
        }
        if let Some(exit) = server.0.try_wait().unwrap() {
            panic!("the server exited: {exit}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not answer /healthz"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let page = client.get(format!("{address}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = Html::parse_document(&page.text().await.unwrap());
    let (style, script) = linked_assets(&html);
    for (url, name) in [(style, "style.css"), (script, "app.js")] {
        let response = client.get(format!("{address}{url}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert_eq!(header(&response, CACHE_CONTROL).as_deref(), Some(IMMUTABLE));
        assert_eq!(response.text().await.unwrap(), source(name), "{url}");
    }
}
