//! The course pages in Chromium, with JavaScript on (at desktop and phone
//! width) and off: adding a course, adding several students to it at once
//! from its page, withdrawing one and enrolling another into the freed seat,
//! and a delete refused. With JavaScript on, each page on the way is checked
//! by axe-core (which runs in the page) and the Nu HTML Checker; without it
//! the server sends the same HTML, and the run shows the forms work alone.

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
async fn add_several_and_withdraw_from_the_course_page_at_phone_width() {
    add_several_and_withdraw(Viewport::Phone, true).await;
}

#[tokio::test]
async fn add_several_and_withdraw_from_the_course_page_without_javascript() {
    add_several_and_withdraw(Viewport::Desktop, false).await;
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
    checked(javascript, &browser, "courses-empty", &mut sources).await;

    browser.click_link("Add course").await;
    browser.wait_for_heading("Add a new course").await;
    browser.fill("Code", "bio-101").await;
    browser.fill("Capacity", "lots").await;
    browser.click_button("Add course").await;
    browser
        .wait_for_element("the error summary", "[role=alert]")
        .await;
    checked(javascript, &browser, "course-form-errors", &mut sources).await;
    browser.fill("Title", "Marine biology").await;
    browser.fill("Credits", "5").await;
    browser.fill("Capacity", "2").await;
    browser.click_button("Add course").await;
    browser.wait_for_heading("Marine biology").await;
    assert_eq!(browser.flash().await, "Course BIO-101 added");
    checked(javascript, &browser, "course-new", &mut sources).await;

    // Find the three students and choose them all: two seats for three.
    browser
        .fill("Find students by name or email", "example")
        .await;
    browser.click_button("Find").await;
    browser
        .wait_for_element("the students found", ".candidates")
        .await;
    checked(javascript, &browser, "course-find", &mut sources).await;
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
    checked(javascript, &browser, "course-class-list", &mut sources).await;

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
    checked(javascript, &browser, "course-after-withdraw", &mut sources).await;

    // Delete asks first when the script runs; refused either way.
    browser.click_button("Delete").await;
    if javascript {
        assert_eq!(browser.dialog_text().await, "Delete BIO-101?");
        browser.client().accept_alert().await.expect("confirm");
    }
    browser.wait_for_heading("BIO-101 cannot be deleted").await;
    assert!(browser.main_text().await.contains("3 enrolments"));
    checked(javascript, &browser, "course-delete-refused", &mut sources).await;
    browser.click_link("Back to BIO-101").await;
    browser.wait_for_heading("Marine biology").await;

    browser.click_link("Edit").await;
    browser.wait_for_heading("Edit BIO-101").await;
    checked(javascript, &browser, "course-edit", &mut sources).await;

    browser.click_link("Courses").await;
    browser.wait_for_heading("Courses").await;
    assert!(browser.main_text().await.contains("2 / 2"));
    checked(javascript, &browser, "courses", &mut sources).await;

    browser.quit().await;
    if javascript && viewport == Viewport::Desktop {
        // The same HTML at any width: checked once.
        assert_valid_html(sources).await;
    }
}

/// Checks the page with axe-core and keeps its HTML for the Nu HTML Checker;
/// axe runs in the page, so only with JavaScript on.
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
