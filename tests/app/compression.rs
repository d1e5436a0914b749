//! Responses are compressed when the client asks, and compression cannot be
//! used to read the CSRF token (BREACH): each page carries it masked afresh.

use std::io::Read;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, HOST, VARY};

use student_registry::students;

use crate::helpers::*;

/// The body of `path` fetched with `Accept-Encoding: encoding`, as sent and
/// decoded, with the encoding the server named.
async fn fetch(app: &TestApp, path: &str, encoding: &str) -> (Option<String>, Vec<u8>, String) {
    let response = app
        .client
        .get(app.url(path))
        .header(ACCEPT_ENCODING, encoding)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let named = response
        .headers()
        .get(CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_owned());
    if named.is_some() {
        // A cache must not hand a compressed copy to a client that did not ask.
        let vary = response
            .headers()
            .get(VARY)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase());
        assert!(
            vary.as_deref()
                .is_some_and(|v| v.contains("accept-encoding")),
            "{path}: Vary {vary:?}"
        );
    }
    let sent = response.bytes().await.expect("body").to_vec();
    let mut decoded = Vec::new();
    match named.as_deref() {
        Some("br") => {
            brotli::Decompressor::new(&sent[..], 4096)
                .read_to_end(&mut decoded)
                .expect("brotli");
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(&sent[..])
                .read_to_end(&mut decoded)
                .expect("gzip");
        }
        Some("zstd") => {
            decoded = zstd::decode_all(&sent[..]).expect("zstd");
        }
        None => decoded = sent.clone(),
        Some(other) => panic!("unexpected encoding {other}"),
    }
    (named, sent, String::from_utf8(decoded).expect("UTF-8"))
}

#[tokio::test]
async fn pages_json_css_and_js_are_compressed_as_the_client_asks() {
    let app = spawn_app().await;
    for _ in 0..30 {
        app.create(&with(
            sammy(),
            "email",
            &format!("s{}@example.com", rand_suffix()),
        ))
        .await;
    }
    // The last create's flash message shows once, on the next page.
    app.get("/").await;
    for path in [
        "/",
        "/api/students?per_page=100",
        "/static/style.css",
        "/static/app.js",
    ] {
        let (plain_encoding, plain, plain_text) = fetch(&app, path, "identity").await;
        assert_eq!(plain_encoding, None, "{path}");
        for encoding in ["br", "gzip"] {
            let (named, sent, text) = fetch(&app, path, encoding).await;
            assert_eq!(named.as_deref(), Some(encoding), "{path}");
            assert!(
                // Repetitive rows shrink a lot; a small script less so.
                sent.len() < plain.len() / if path.starts_with("/static") { 1 } else { 4 },
                "{path} {encoding}: {} of {}",
                sent.len(),
                plain.len()
            );
            // The same document (pages differ only in their masked tokens).
            assert_eq!(text.len(), plain_text.len(), "{path} {encoding}");
        }
    }
}

#[tokio::test]
async fn the_100_row_index_compressed_is_at_most_15_percent_of_its_size() {
    let app = spawn_app().await;
    // Varied rows, as the seed command makes them: a page of one repeated
    // row would compress far better than a real one.
    let details: Vec<_> = (0..100)
        .map(|i| students::seed::generated_student(i).validate().unwrap())
        .collect();
    app.db()
        .write_transaction(|c| students::queries::insert_many(c, &details))
        .unwrap();
    let path = "/?per_page=100";
    let (_, plain, plain_text) = fetch(&app, path, "identity").await;
    let html = scraper::Html::parse_document(&plain_text);
    assert_eq!(select(&html, "tbody tr").len(), 100, "a full page");
    for encoding in ["br", "gzip"] {
        let (named, sent, _) = fetch(&app, path, encoding).await;
        assert_eq!(named.as_deref(), Some(encoding));
        assert!(
            sent.len() * 100 <= plain.len() * 15,
            "{encoding}: {} of {} bytes",
            sent.len(),
            plain.len()
        );
    }
}

#[tokio::test]
async fn a_browser_gets_zstd_and_a_browser_without_it_brotli() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    // The create's flash message shows once, on the next page.
    app.get("/").await;
    let (_, _, plain_text) = fetch(&app, "/", "identity").await;
    for (offered, expected) in [
        // Chrome and Firefox.
        ("gzip, deflate, br, zstd", "zstd"),
        // Safari.
        ("gzip, deflate, br", "br"),
        // A weight outranks our order.
        ("zstd;q=0.5, gzip", "gzip"),
    ] {
        let (named, sent, text) = fetch(&app, "/", offered).await;
        assert_eq!(named.as_deref(), Some(expected), "{offered}");
        assert!(sent.len() < plain_text.len() / 2, "{offered}");
        // The same page, its masked token aside.
        assert_eq!(text.len(), plain_text.len(), "{offered}");
        assert!(text.contains("Sammy"), "{offered}");
    }
}

#[tokio::test]
async fn a_client_that_accepts_no_encoding_we_have_is_told_so() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/"))
        .header(ACCEPT_ENCODING, "identity;q=0")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
    assert!(
        response
            .headers()
            .get(VARY)
            .is_some_and(|v| v.to_str().unwrap().eq_ignore_ascii_case("accept-encoding"))
    );
    assert_eq!(
        response
            .headers()
            .get("x-content-type-options")
            .map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "the 406 carries the security headers"
    );
}

#[tokio::test]
async fn a_host_not_served_is_refused_before_its_encodings_are_weighed() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/"))
        .header(HOST, "rebind.evil.example")
        .header(ACCEPT_ENCODING, "identity;q=0")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn each_page_masks_the_same_session_token_differently_and_both_are_accepted() {
    let app = spawn_app().await;
    let first = app.csrf_token().await;
    let second = app.csrf_token().await;
    assert_ne!(first, second, "the token looks the same in two responses");
    // Both are the session's one token: each is accepted.

    for (token, email) in [
        (&first, "first@example.com"),
        (&second, "second@example.com"),
    ] {
        let mut form = with(sammy(), "email", email);
        form.push(("csrf_token", token.clone()));
        let response = app
            .client
            .post(app.url("/create/"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{token}");
    }
    assert_eq!(app.students().len(), 2);
}
