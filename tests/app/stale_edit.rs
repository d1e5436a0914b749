//! Two people editing one student: the second, stale save does not silently
//! overwrite the first.

use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::*;

#[tokio::test]
async fn a_stale_edit_is_refused_shows_the_current_values_and_can_be_reapplied() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let edit_url = format!("/{id}/edit/");

    // Both open the edit form on the same version.
    let (_, first_form) = app.page(&edit_url).await;
    let (_, second_form) = app.page(&edit_url).await;
    let version = field_value(&first_form, "version");
    assert_eq!(field_value(&second_form, "version"), version);

    // The first saves a new city.
    let first = app
        .post_form(
            &edit_url,
            &with(with(sammy(), "city", "Porto"), "version", &version),
        )
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);

    // The second, still on the old version, saves a new bio.
    let second_fields = with(
        with(sammy(), "bio", "Second editor's bio"),
        "version",
        &version,
    );
    let second = app.post_form(&edit_url, &second_fields).await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let html = Html::parse_document(&second.text().await.unwrap());
    assert_eq!(
        text(&html, ".conflict h2").as_deref(),
        Some("Someone else changed this student while you were editing")
    );
    assert!(
        text(&html, ".conflict").unwrap().contains("Porto"),
        "the current values are shown"
    );
    assert_eq!(
        field_value(&html, "bio"),
        "Second editor's bio",
        "what they typed is kept"
    );

    // Nothing of the stale save was stored.
    let stored = app.student(id).unwrap();
    assert_eq!(stored.city.as_deref(), Some("Porto"));
    assert_eq!(stored.bio.as_deref(), Some("Marine biology student"));

    // Saving again from the conflict page is a deliberate re-apply.
    let new_version = field_value(&html, "version");
    assert_ne!(new_version, version);
    let reapplied: Vec<(&str, String)> = [
        "firstname",
        "lastname",
        "email",
        "age",
        "bio",
        "city",
        "version",
    ]
    .into_iter()
    .map(|name| (name, field_value(&html, name)))
    .collect();
    let third = app.post_form(&edit_url, &reapplied).await;
    assert_eq!(third.status(), StatusCode::SEE_OTHER);
    let stored = app.student(id).unwrap();
    assert_eq!(stored.bio.as_deref(), Some("Second editor's bio"));
}

#[tokio::test]
async fn an_edit_form_for_a_deleted_student_never_lands_on_a_newcomer() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let (_, form) = app.page(&format!("/{id}/edit/")).await;
    let version = field_value(&form, "version");
    app.post_form(&format!("/{id}/delete/"), &[]).await;

    // The newest student was deleted; a new one must not take its id.
    let newcomer = app
        .create(&with(sammy(), "email", "newcomer@example.com"))
        .await;
    assert_ne!(newcomer, id, "ids are never reused");

    let stale = app
        .post_form(
            &format!("/{id}/edit/"),
            &with(with(sammy(), "city", "Stale"), "version", &version),
        )
        .await;
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.student(newcomer).unwrap().city.as_deref(),
        Some("Lisbon")
    );
}
