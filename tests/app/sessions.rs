//! A session lasts at most `SESSION_MAX_AGE_SECS` from its start, whatever
//! cookie the client sends back.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_form_from_a_session_past_its_maximum_age_is_refused() {
    let app = spawn_app_with(|settings| settings.session_max_age = Duration::from_secs(1)).await;
    let token = app.csrf_token().await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
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
