//! The course pages in Chromium, with JavaScript on (desktop) and off
//! (phone): adding a course, adding several students to it at once from its
//! page, withdrawing one and enrolling another into the freed seat. Each
//! page on the way is checked by axe-core and the Nu HTML Checker.

use fantoccini::Locator;
use serde_json::json;

use crate::app::{TestApp, spawn_app};
use crate::browser::{Browser, Viewport};
use crate::checks::assert_valid_html;
use crate::pages::check;

#[tokio::test]
async fn add_several_and_withdraw_from_the_course_page_with_javascript() {
    add_several_and_withdraw(Viewport::Desktop, true).await;
}

#[tokio::test]
async fn add_several_and_withdraw_from_the_course_page_without_javascript() {
    add_several_and_withdraw(Viewport::Phone, false).await;
}

async fn add_several_and_withdraw(viewport: Viewport, javascript: bool) {
    let app = spawn_app().await;
    for (first, last) in [("Ann", "Lee"), ("Anna", "Berg"), ("Bob", "Ray")] {
        add_student_through_the_api(&app, first, last).await;
    }
    let browser = Browser::start(&app.address, viewport, javascript).await;
    let mut sources = Vec::new();

    browser.click_link("Courses").await;
    browser.wait_for_heading("Courses").await;
    assert!(browser.main_text().await.contains("No courses yet"));
    check(&browser, "courses-empty", &mut sources).await;

    browser.click_link("Add course").await;
    browser.wait_for_heading("Add a new course").await;
    browser.fill("Code", "bio-101").await;
    browser.fill("Capacity", "lots").await;
    browser.click_button("Add course").await;
    browser
        .wait_for_element("the error summary", "[role=alert]")
        .await;
    check(&browser, "course-form-errors", &mut sources).await;
    browser.fill("Title", "Marine biology").await;
    browser.fill("Credits", "5").await;
    browser.fill("Capacity", "2").await;
    browser.click_button("Add course").await;
    browser.wait_for_heading("Marine biology").await;
    assert_eq!(browser.flash().await, "Course BIO-101 added");
    check(&browser, "course-new", &mut sources).await;

    // Find the three students and choose them all: two seats for three.
    browser
        .fill("Find students by name or email", "example")
        .await;
    browser.click_button("Find").await;
    browser
        .wait_for_element("the students found", ".candidates")
        .await;
    check(&browser, "course-find", &mut sources).await;
    for name in ["Anna Berg", "Ann Lee", "Bob Ray"] {
        tick(&browser, name).await;
    }
    browser.click_button("Enrol selected").await;
    let answer = wait_for_flash(&browser, "Enrolled in BIO-101").await;
    assert!(
        answer.contains("Enrolled in BIO-101: Anna Berg, Ann Lee.")
            && answer.contains("Not enrolled, BIO-101 is full (2 seats): Bob Ray."),
        "{answer}"
    );
    let page = browser.main_text().await;
    assert!(page.contains("2 taken, full"), "{page}");
    check(&browser, "course-class-list", &mut sources).await;

    // Anna withdraws (the first row, by last name); Bob takes her seat.
    browser.click_button("Withdraw").await;
    let answer = wait_for_flash(&browser, "withdrawn from").await;
    assert_eq!(answer, "Anna Berg withdrawn from BIO-101");
    assert!(browser.main_text().await.contains("Withdrawn on "));
    browser.fill("Find students by name or email", "bob").await;
    browser.click_button("Find").await;
    browser
        .wait_for_element("the students found", ".candidates")
        .await;
    tick(&browser, "Bob Ray").await;
    browser.click_button("Enrol selected").await;
    let answer = wait_for_flash(&browser, "Enrolled in BIO-101").await;
    assert_eq!(answer, "Enrolled in BIO-101: Bob Ray.");
    check(&browser, "course-after-withdraw", &mut sources).await;

    if !javascript {
        // Without the confirmation script, Delete posts at once: refused.
        browser.click_button("Delete").await;
        browser.wait_for_heading("BIO-101 cannot be deleted").await;
        assert!(browser.main_text().await.contains("3 enrolments"));
        check(&browser, "course-delete-refused", &mut sources).await;
        browser.click_link("Back to BIO-101").await;
        browser.wait_for_heading("Marine biology").await;
    }

    browser.click_link("Edit").await;
    browser.wait_for_heading("Edit BIO-101").await;
    check(&browser, "course-edit", &mut sources).await;

    browser.click_link("Courses").await;
    browser.wait_for_heading("Courses").await;
    assert!(browser.main_text().await.contains("2 / 2"));
    check(&browser, "courses", &mut sources).await;

    browser.quit().await;
    assert_valid_html(sources).await;
}

async fn add_student_through_the_api(app: &TestApp, first: &str, last: &str) {
    reqwest::Client::new()
        .post(format!("{}/api/students", app.address))
        .bearer_auth(&app.api_token)
        .json(&json!({
            "firstname": first,
            "lastname": last,
            "email": format!("{first}.{last}@example.com").to_lowercase(),
        }))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the student is added");
}

/// Ticks the checkbox of the student named `name`, by clicking its label
/// as a person does.
async fn tick(browser: &Browser, name: &str) {
    let xpath =
        format!("//ul[@class='candidates']//label[starts-with(normalize-space(.), '{name} ')]");
    let label = browser
        .client()
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|err| panic!("no label for {name}: {err}"));
    label.click().await.expect("click the label");
    let id = label.attr("for").await.unwrap().expect("the label's for");
    let checked = browser
        .client()
        .find(Locator::Id(&id))
        .await
        .expect("the checkbox")
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(checked.as_deref(), Some("true"), "{name} is ticked");
}

/// The status region's text once it contains `expected`.
async fn wait_for_flash(browser: &Browser, expected: &str) -> String {
    browser
        .wait_for(&format!("a message with {expected:?}"), async || {
            let text = browser
                .client()
                .find(Locator::Css("[role=status]"))
                .await?
                .text()
                .await?;
            Ok(text.contains(expected).then(|| text.trim().to_owned()))
        })
        .await
}
