//! Courses from the student side in Chromium, with JavaScript on (desktop)
//! and off (phone): enrolling a student from their page and withdrawing
//! them, then the student list's bulk actions (enrol the ticked students in
//! a course, delete the ticked students after a confirmation page). Each
//! page on the way is checked by axe-core and the Nu HTML Checker.

use fantoccini::Locator;

use crate::app::spawn_app;
use crate::browser::{Browser, Viewport};
use crate::checks::assert_valid_html;
use crate::pages::check;

#[tokio::test]
async fn enrol_withdraw_and_bulk_actions_with_javascript() {
    enrol_withdraw_and_bulk_actions(Viewport::Desktop, true).await;
}

#[tokio::test]
async fn enrol_withdraw_and_bulk_actions_without_javascript() {
    // Desktop width: chromedriver stalls on label clicks at phone width
    // without JavaScript (tests/browser/courses.rs says the same).
    enrol_withdraw_and_bulk_actions(Viewport::Desktop, false).await;
}

async fn enrol_withdraw_and_bulk_actions(viewport: Viewport, javascript: bool) {
    let app = spawn_app().await;
    let ann = app.add_student("Ann", "Lee").await;
    let bob = app.add_student("Bob", "Ray").await;
    let cy = app.add_student("Cy", "Dee").await;
    app.create_course("BIO-101", "Marine biology", Some(2));
    app.create_course("ART-1", "Drawing", None);
    let browser = Browser::start(&app.address, viewport, javascript).await;
    let mut sources = Vec::new();

    // From Ann's page: enrol her in BIO-101.
    browser.open(&format!("/{ann}/")).await;
    browser.wait_for_heading("Ann Lee").await;
    assert!(
        browser
            .main_text()
            .await
            .contains("Not enrolled in any course.")
    );
    checked(javascript, &browser, "student-no-courses", &mut sources).await;
    browser
        .control("Enrol in a course")
        .await
        .select_by_label("BIO-101 Marine biology (2 seats left)")
        .await
        .expect("choose BIO-101");
    browser.click_button("Enrol").await;
    browser.wait_for_heading("Ann Lee").await;
    let answer = browser.flash().await;
    assert!(
        answer.contains("BIO-101") && answer.contains("Ann Lee"),
        "{answer}"
    );
    let courses = browser.text_of(".enrolments tbody").await;
    assert!(
        courses.contains("BIO-101") && courses.contains("Enrolled"),
        "{courses}"
    );
    checked(javascript, &browser, "student-courses", &mut sources).await;

    // Withdraw her: no confirmation, as on the course page (enrolling
    // again undoes it).
    browser.click_button("Withdraw").await;
    let answer = wait_for_flash(&browser, "withdrawn").await;
    assert_eq!(answer, "Ann Lee withdrawn from BIO-101");
    let courses = browser.text_of(".enrolments tbody").await;
    assert!(courses.contains("Withdrawn"), "{courses}");

    // From the list: Ann and Bob into ART-1.
    browser.open("/").await;
    browser.wait_for_heading("Students").await;
    checked(javascript, &browser, "index-with-courses", &mut sources).await;
    tick(&browser, ann).await;
    tick(&browser, bob).await;
    browser.click_button("Enrol selected in…").await;
    browser.wait_for_heading("Enrol 2 students").await;
    checked(javascript, &browser, "selection-enrol", &mut sources).await;
    browser
        .control("Course")
        .await
        .select_by_label("ART-1 Drawing (no seat limit)")
        .await
        .expect("choose ART-1");
    browser.click_button("Enrol").await;
    let answer = wait_for_flash(&browser, "ART-1").await;
    assert!(
        answer.contains("Ann Lee") && answer.contains("Bob Ray"),
        "{answer}"
    );
    assert!(browser.path().await.starts_with("/courses/"));

    // Bob and Cy deleted, after the confirmation page that names them.
    browser.open("/").await;
    browser.wait_for_heading("Students").await;
    let counts = browser.text_of("tbody").await;
    assert!(counts.contains("Ann Lee"), "{counts}");
    tick(&browser, bob).await;
    tick(&browser, cy).await;
    browser.click_button("Delete selected…").await;
    browser.wait_for_heading("Delete these 2 students?").await;
    let named = browser.text_of(".selected-students").await;
    assert!(
        named.contains("Bob Ray") && named.contains("Cy Dee"),
        "{named}"
    );
    checked(javascript, &browser, "selection-delete", &mut sources).await;
    browser.click_button("Delete 2 students").await;
    let answer = wait_for_flash(&browser, "deleted").await;
    assert_eq!(answer, "2 students deleted: Bob Ray and Cy Dee");
    let rows = browser.text_of("tbody").await;
    assert!(
        rows.contains("Ann Lee") && !rows.contains("Bob Ray") && !rows.contains("Cy Dee"),
        "{rows}"
    );

    browser.quit().await;
    if javascript {
        assert_valid_html(sources).await;
    }
}

/// axe runs inside the page: only with JavaScript on (the HTML sent is the
/// same either way).
async fn checked(
    javascript: bool,
    browser: &Browser,
    page: &str,
    sources: &mut Vec<(String, String)>,
) {
    if javascript {
        check(browser, page, sources).await;
    }
}

/// Ticks the list's checkbox for student `id`.
async fn tick(browser: &Browser, id: i32) {
    let css = format!("input[type=checkbox][form=bulk][value='{id}']");
    let checkbox = browser
        .client()
        .find(Locator::Css(&css))
        .await
        .unwrap_or_else(|err| panic!("no checkbox for student {id}: {err}"));
    checkbox.click().await.expect("tick");
    assert_eq!(
        checkbox.prop("checked").await.unwrap().as_deref(),
        Some("true"),
        "student {id} ticked"
    );
}

/// Waits for a flash message containing `part` (the page may still show the
/// previous one while it loads) and returns the whole message.
async fn wait_for_flash(browser: &Browser, part: &str) -> String {
    browser
        .wait_for(&format!("a message with {part:?}"), async || {
            let region = browser.client().find(Locator::Css("[role=status]")).await?;
            let text = region.text().await?;
            Ok(text.contains(part).then(|| text.trim().to_owned()))
        })
        .await
}
