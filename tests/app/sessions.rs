//! A session lasts at most `SESSION_MAX_AGE_SECS` from its start, whatever
//! cookie the client sends back.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::cookie::{Cookie, CookieJar, Key};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::helpers::*;

#[tokio::test]
async fn a_form_from_a_session_past_its_maximum_age_is_refused() {
    let app = spawn_app_with(|settings| settings.session_max_age = Duration::from_secs(2)).await;
    let token = app.csrf_token().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // The client still holds the signed cookie, and sends it back.
    let response = app
        .client
        .post(app.url("/create/"))
        .form(&with(sammy(), "csrf_token", &token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("out of date"));
    assert!(app.students().is_empty());

    // A page loaded now starts a new session, whose form works.
    let fresh = app.csrf_token().await;
    assert_ne!(fresh, token);
    app.create(&sammy()).await;
    assert_eq!(app.students().len(), 1);
}

/// A session cookie as the app would sign it with `secret`, holding `entries`
/// (each value JSON, as actix-session stores them).
fn signed_session_cookie(secret: &str, entries: &[(&str, String)]) -> String {
    let state: HashMap<&str, &str> = entries
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let mut jar = CookieJar::new();
    jar.signed_mut(&Key::derive_from(secret.as_bytes()))
        .add(Cookie::new(
            "registry_session",
            serde_json::to_string(&state).unwrap(),
        ));
    let cookie = jar.delta().next().expect("the cookie just added");
    cookie.encoded().stripped().to_string()
}

/// A well-formed session token (32 bytes, base64url).
const REPLAYED_TOKEN: &str = "cmVwbGF5ZWRyZXBsYXllZHJlcGxheWVkcmVwbGF5ZWQ";

/// The token as a page would carry it, masked with an all-zero pad.
fn masked_with_zero_pad(token: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut masked = vec![0u8; 32];
    masked.extend(URL_SAFE_NO_PAD.decode(token).expect("base64url"));
    URL_SAFE_NO_PAD.encode(masked)
}

#[tokio::test]
async fn a_signed_cookie_older_than_the_default_maximum_age_counts_for_nothing() {
    const SECRET: &str = "the-secret-key-of-this-test-long-enough-for-cookies";
    let app = spawn_app_with(|settings| settings.secret_key = Some(SECRET.to_owned().into())).await;
    let hour = 60 * 60 * 1000;
    let now = chrono::Utc::now().timestamp_millis();
    for (started_at, expected) in [
        // Default maximum age: 12 hours.
        (Some(now - 13 * hour), StatusCode::FORBIDDEN),
        // From before sessions recorded their start.
        (None, StatusCode::FORBIDDEN),
        // The same forgery, young enough: so the refusals above are the age's.
        (Some(now - 11 * hour), StatusCode::SEE_OTHER),
    ] {
        let mut entries = vec![("csrf_token", format!("\"{REPLAYED_TOKEN}\""))];
        if let Some(started_at) = started_at {
            entries.push(("started_at", started_at.to_string()));
        }
        let response = client()
            .post(app.url("/create/"))
            .header(COOKIE, signed_session_cookie(SECRET, &entries))
            .form(&with(
                sammy(),
                "csrf_token",
                &masked_with_zero_pad(REPLAYED_TOKEN),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "started at {started_at:?}");
    }
    assert_eq!(app.students().len(), 1);
}
