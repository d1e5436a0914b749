//! Every page (the edit form's conflict page included), at desktop and at phone width: a screenshot under
//! `target/screenshots/`, no sideways scrolling, no serious or critical
//! axe-core violation, and (once, the HTML being the same at any width) no
//! error from the Nu HTML Checker.

use serde_json::json;

use crate::app::spawn_app;
use crate::browser::{Browser, Viewport};
use crate::checks::{assert_accessible, assert_valid_html};
use crate::people::{CARL, SAMMY};

#[tokio::test]
async fn every_page_at_desktop_width_is_accessible_and_valid_html() {
    let sources = visit_every_page(Viewport::Desktop).await;
    assert_valid_html(sources).await;
}

#[tokio::test]
async fn every_page_at_phone_width_is_accessible_and_fits() {
    visit_every_page(Viewport::Phone).await;
}

/// Walks the pages a person meets, in the order they meet them, checking each.
/// Returns each page's HTML as the server sent it.
async fn visit_every_page(viewport: Viewport) -> Vec<(String, String)> {
    let app = spawn_app().await;
    let browser = Browser::start(&app.address, viewport, true).await;
    let mut sources = Vec::new();

    browser.open("/").await;
    browser.wait_for_heading("Students").await;
    check(&browser, "index-empty", &mut sources).await;

    browser.click_link("Add student").await;
    browser.wait_for_heading("Add a new student").await;
    check(&browser, "create-form", &mut sources).await;

    browser.fill("First name", "Sammy").await;
    browser.fill("Email", "not-an-email").await;
    browser.fill("Age", "twenty").await;
    browser.click_button("Add student").await;
    browser
        .wait_for_element("the error summary", "[role=alert]")
        .await;
    check(&browser, "form-errors", &mut sources).await;

    SAMMY.fill_in(&browser).await;
    browser.click_button("Add student").await;
    browser.wait_for_heading("Sammy Shark").await;
    browser.flash().await;
    check(&browser, "student", &mut sources).await;

    browser.click_link("Edit").await;
    browser.wait_for_heading("Edit Sammy Shark").await;
    check(&browser, "edit-form", &mut sources).await;

    // Someone else saves a change while this form is open, so saving it shows
    // the conflict page: the stored values beside the ones typed here.
    let id = browser.path().await.trim_matches('/').replace("/edit", "");
    reqwest::Client::new()
        .patch(format!("{}/api/students/{id}", app.address))
        .bearer_auth(&app.api_token)
        .json(&json!({"city": "Porto"}))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the other person's edit is saved");
    browser.fill("Bio", "Typed while someone else saved").await;
    browser.click_button("Save changes").await;
    browser
        .wait_for_element("the conflict notice", ".conflict")
        .await;
    check(&browser, "edit-conflict", &mut sources).await;

    browser.click_link("Add student").await;
    browser.wait_for_heading("Add a new student").await;
    CARL.fill_in(&browser).await;
    browser.click_button("Add student").await;
    browser.wait_for_heading("Carl White").await;
    browser.click_link("Student Registry").await;
    browser.wait_for_heading("Students").await;
    check(&browser, "index", &mut sources).await;

    // The admin's activity log: the sign-in, the creates, the edit.
    browser.click_link("Activity").await;
    browser.wait_for_heading("Activity").await;
    let log = browser.main_text().await;
    assert!(
        log.contains("Student changed") && log.contains("Signed in"),
        "{log}"
    );
    check(&browser, "activity", &mut sources).await;

    browser.open("/no-such-page/").await;
    browser.wait_for_heading("Page not found").await;
    check(&browser, "not-found", &mut sources).await;

    browser.quit().await;
    sources
}

pub async fn check(browser: &Browser, page: &str, sources: &mut Vec<(String, String)>) {
    browser.screenshot(page).await;
    browser.assert_no_horizontal_scroll(page).await;
    assert_accessible(browser, page).await;
    let unlabelled = browser
        .js(
            "return [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
                 .filter((control) => control.labels.length === 0)
                 .map((control) => control.name || control.outerHTML);",
            vec![],
        )
        .await;
    assert_eq!(
        unlabelled,
        json!([]),
        "{page}: form controls without a label"
    );
    let html = browser.source_as_received().await;
    assert!(
        html.trim_start().starts_with("<!DOCTYPE html>"),
        "{page}: expected the HTML as sent, got: {}",
        &html[..html.len().min(200)]
    );
    sources.push((page.to_owned(), html));
}

/// Signing in (a wrong password first), a viewer meeting the 403 page, and
/// signing out: each page accessible and valid HTML.
#[tokio::test]
async fn the_sign_in_page_and_the_not_allowed_page_are_accessible_and_valid_html() {
    let app = spawn_app().await;
    app.create_account("viewer@example.com", "Vera Viewer", "viewer");
    let browser = Browser::signed_out(&app.address, Viewport::Desktop, true).await;
    let mut sources = Vec::new();

    browser.open("/create/").await;
    browser.wait_for_heading("Sign in").await;
    assert_eq!(browser.path().await, "/login/");
    check(&browser, "sign-in", &mut sources).await;

    browser.fill("Email", "viewer@example.com").await;
    browser.fill("Password", "not the password").await;
    browser.click_button("Sign in").await;
    browser
        .wait_for_element("the sign-in problem", "[role=alert]")
        .await;
    assert_eq!(
        browser.text_of("[role=alert] h2").await,
        "Email or password is incorrect"
    );
    assert_eq!(browser.value_of("Email").await, "viewer@example.com");
    assert_eq!(browser.value_of("Password").await, "");
    check(&browser, "sign-in-failed", &mut sources).await;

    browser.fill("Password", crate::app::STAFF_PASSWORD).await;
    browser.click_button("Sign in").await;
    // Back where they were going: a viewer may not add students.
    browser.wait_for_heading("Not allowed").await;
    assert!(browser.main_text().await.contains("needs the editor role"));
    check(&browser, "not-allowed", &mut sources).await;

    browser.open("/").await;
    browser.wait_for_heading("Students").await;
    assert!(!browser.has("a[href='/create/']").await);
    browser.click_button("Sign out").await;
    browser.wait_for_heading("Sign in").await;
    browser.open("/").await;
    browser.wait_for_heading("Sign in").await;
    browser.quit().await;
    assert_valid_html(sources).await;
}
