//! Forged requests are refused and change nothing.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_post_without_a_token_is_forbidden_and_stores_nothing() {
    let app = spawn_app().await;
    app.get("/create/").await; // a session exists, but the form lacks its token
    let response = app
        .client
        .post(app.url("/create/"))
        .form(&sammy())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Request refused"));
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn a_post_from_a_client_with_no_session_is_sent_to_sign_in_and_stores_nothing() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    let stranger = client();
    let response = stranger
        .post(app.url("/create/"))
        .form(&with(sammy(), "csrf_token", &token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login/");
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn a_token_from_another_session_is_forbidden() {
    let app = spawn_app().await;
    let victim = spawn_client_with_session(&app).await;
    let attacker_token = app.csrf_token().await;
    let response = victim
        .post(app.url("/create/"))
        .form(&with(sammy(), "csrf_token", &attacker_token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(app.students().is_empty());
}

/// Another member of staff, signed in, with the create form open.
async fn spawn_client_with_session(app: &TestApp) -> reqwest::Client {
    let client = app
        .client_as(student_registry::accounts::Role::Editor)
        .await;
    let form = client.get(app.url("/create/")).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    client
}

#[tokio::test]
async fn a_cross_site_post_is_forbidden_even_with_a_valid_token() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    for (header, value) in [
        ("origin", "http://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let response = app
            .client
            .post(app.url("/create/"))
            .header(header, value)
            .form(&with(sammy(), "csrf_token", &token))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{header}: {value}"
        );
    }
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn a_same_origin_post_with_its_token_is_accepted() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    let response = app
        .client
        .post(app.url("/create/"))
        .header("origin", app.address.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&with(sammy(), "csrf_token", &token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forged_edits_and_deletes_change_nothing() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let before = app.student(id).unwrap();
    let edit = app
        .client
        .post(app.url(&format!("/{id}/edit/")))
        .form(&with(with(sammy(), "city", "Forged"), "version", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), StatusCode::FORBIDDEN);
    let delete = app
        .client
        .post(app.url(&format!("/{id}/delete/")))
        .form(&[("csrf_token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.student(id).unwrap(), before);
}
