//! What a person does with the registry, done in Chromium by clicking and
//! typing: no request is made except by the browser itself.

use serde_json::json;

use crate::app::spawn_app;
use crate::browser::{Browser, Viewport};
use crate::people::{CARL, SAMMY, add_student};

#[tokio::test]
async fn a_person_adds_a_student_sees_the_message_and_finds_them_in_the_list() {
    let app = spawn_app().await;
    let browser = Browser::desktop(&app.address).await;

    browser.open("/").await;
    browser.wait_for_heading("Students").await;
    assert!(browser.main_text().await.contains("No students yet"));

    browser.click_link("Add student").await;
    browser.wait_for_heading("Add a new student").await;
    SAMMY.fill_in(&browser).await;
    browser.click_button("Add student").await;

    browser.wait_for_heading("Sammy Shark").await;
    assert_eq!(browser.flash().await, "Student Sammy Shark added");
    let page = browser.main_text().await;
    for shown in [
        "sammyshark@example.com",
        "20 years old",
        "Lisbon",
        "Marine biology student",
    ] {
        assert!(page.contains(shown), "{shown:?} missing from:\n{page}");
    }
    let student_path = browser.path().await;

    // Back to the list: the student is there and the message is gone.
    browser.click_link("Student Registry").await;
    browser.wait_for_heading("Students").await;
    let list = browser.main_text().await;
    assert!(list.contains("Sammy Shark"), "{list}");
    assert!(!list.contains("No students yet"), "{list}");
    assert!(
        !list.contains("added"),
        "the flash should show once: {list}"
    );

    // Open the student from the list.
    browser.click_link("Sammy Shark").await;
    browser.wait_for_heading("Sammy Shark").await;
    assert_eq!(browser.path().await, student_path);
    assert!(
        browser.text_of("[role=status]").await.is_empty(),
        "no message on a plain visit"
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_bio_with_spaces_quotes_and_tags_is_saved_and_shown_as_text() {
    let app = spawn_app().await;
    let browser = Browser::desktop(&app.address).await;
    browser.open("/").await;
    add_student(&browser, &SAMMY).await;

    let bio = r#"Says "hello" & 'bye'   with  <b>tags</b> and <script>alert(1)</script>"#;
    browser.click_link("Edit").await;
    browser.wait_for_heading("Edit Sammy Shark").await;
    assert_eq!(browser.value_of("Bio").await, SAMMY.bio);
    browser.fill("Bio", bio).await;
    browser.click_button("Save changes").await;

    browser.wait_for_heading("Sammy Shark").await;
    assert_eq!(browser.flash().await, "Student Sammy Shark updated");
    assert_bio_is_text(&browser, bio, true).await;

    // The list shows it the same way.
    browser.click_link("Student Registry").await;
    browser.wait_for_heading("Students").await;
    assert_bio_is_text(&browser, bio, false).await;
    assert!(
        !browser.dialog_is_open().await,
        "the typed script must not run"
    );

    // And the edit form gives back exactly what was typed.
    browser.click_link("Sammy Shark").await;
    browser.wait_for_heading("Sammy Shark").await;
    browser.click_link("Edit").await;
    browser.wait_for_heading("Edit Sammy Shark").await;
    assert_eq!(browser.value_of("Bio").await, bio);
    browser.quit().await;
}

/// The bio is on the page as text: no element was made from the tags in it,
/// and they read as typed. With `whole`, some paragraph holds exactly the
/// characters typed (the student's page; a list may shorten it).
async fn assert_bio_is_text(browser: &Browser, bio: &str, whole: bool) {
    let found = browser
        .js(
            "const main = document.querySelector('main');
             const texts = [...main.querySelectorAll('p')].map((p) => p.textContent);
             return { texts, tags: main.querySelectorAll('b, script').length };",
            vec![],
        )
        .await;
    assert_eq!(found["tags"], json!(0), "the bio's tags became elements");
    if whole {
        assert!(
            found["texts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|text| text == &json!(bio)),
            "the bio should be shown exactly as typed: {found}"
        );
    }
    let shown = browser.main_text().await;
    assert!(shown.contains("<b>tags</b>"), "{shown}");
}

#[tokio::test]
async fn a_form_with_errors_shows_each_message_beside_its_field_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let browser = Browser::desktop(&app.address).await;
    browser.open("/create/").await;
    browser.wait_for_heading("Add a new student").await;

    let typed = [
        ("First name", "Sammy"),
        ("Last name", ""),
        ("Email", "not-an-email"),
        ("Age", "twenty"),
        ("Bio", "Loves \"the sea\""),
        ("City", "Lisbon"),
    ];
    for (label, value) in typed {
        browser.fill(label, value).await;
    }
    browser.click_button("Add student").await;

    browser
        .wait_for_element("the error summary", "[role=alert]")
        .await;
    assert_eq!(browser.heading().await, "Add a new student");
    let summary = browser.text_of("[role=alert]").await;
    assert!(
        summary.starts_with("3 problems prevent saving this student"),
        "{summary}"
    );
    // app.js moves the focus to the summary so it is read out first.
    let focused = browser
        .js(
            "return document.activeElement.getAttribute('role');",
            vec![],
        )
        .await;
    assert_eq!(focused, json!("alert"), "the summary should have the focus");

    let expected_errors = [
        ("Last name", "Last name is required"),
        ("Email", "Enter an email address like name@example.com"),
        ("Age", "Age must be a whole number, like 23"),
    ];
    for (label, message) in expected_errors {
        assert!(summary.contains(message), "{message:?} not in {summary}");
        assert_error_beside_field(&browser, label, message).await;
    }
    for label in ["First name", "Bio", "City"] {
        let control = browser.control(label).await;
        assert_eq!(control.attr("aria-invalid").await.unwrap(), None, "{label}");
        let id = control.attr("id").await.unwrap().unwrap();
        assert!(!browser.has(&format!("#{id}-error")).await, "{label}");
    }
    for (label, value) in typed {
        assert_eq!(browser.value_of(label).await, value, "{label} was not kept");
    }

    // Correcting the three fields saves the student with the kept values.
    browser.fill("Last name", "Shark").await;
    browser.fill("Email", "sammy@example.com").await;
    browser.fill("Age", "20").await;
    browser.click_button("Add student").await;
    browser.wait_for_heading("Sammy Shark").await;
    assert_eq!(browser.flash().await, "Student Sammy Shark added");
    let page = browser.main_text().await;
    assert!(page.contains("Loves \"the sea\"") && page.contains("Lisbon"));
    browser.quit().await;
}

/// The field labelled `label` is marked invalid, is described by its message,
/// and the message is drawn right above it, under its label.
async fn assert_error_beside_field(browser: &Browser, label: &str, message: &str) {
    let control = browser.control(label).await;
    let id = control.attr("id").await.unwrap().unwrap();
    assert_eq!(
        control.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true"),
        "{label} should be aria-invalid"
    );
    let described_by = control.attr("aria-describedby").await.unwrap();
    let error_id = format!("{id}-error");
    assert!(
        described_by
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .any(|part| part == error_id),
        "{label}'s aria-describedby ({described_by:?}) should name #{error_id}"
    );
    let error = browser.text_of(&format!("#{error_id}")).await;
    let error = error.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(error, format!("Error: {message}"), "{label}");
    // Beside the field: between its label and its box, not somewhere else.
    let geometry = browser
        .js(
            "const [control, error] = [document.getElementById(arguments[0]),
                                       document.getElementById(arguments[0] + '-error')];
             const label = document.querySelector(`label[for='${arguments[0]}']`);
             const [c, e, l] = [control, error, label].map((el) => el.getBoundingClientRect());
             return { gapAbove: c.top - e.bottom, belowLabel: e.top - l.bottom,
                      sameColumn: Math.abs(c.left - e.left) < 2 };",
            vec![json!(id)],
        )
        .await;
    let gap = geometry["gapAbove"].as_f64().unwrap();
    let below_label = geometry["belowLabel"].as_f64().unwrap();
    assert!(
        (0.0..=24.0).contains(&gap) && below_label >= 0.0 && geometry["sameColumn"] == json!(true),
        "the message for {label} should sit between its label and its box: {geometry}"
    );
}

#[tokio::test]
async fn deleting_asks_first_and_only_deletes_when_confirmed() {
    let app = spawn_app().await;
    let browser = Browser::desktop(&app.address).await;
    browser.open("/").await;
    add_student(&browser, &SAMMY).await;
    let student_path = browser.path().await;

    // Dismiss: nothing happens.
    browser.click_button("Delete").await;
    assert_eq!(browser.dialog_text().await, "Delete Sammy Shark?");
    browser.client().dismiss_alert().await.expect("dismiss");
    assert!(!browser.dialog_is_open().await);
    assert_eq!(browser.path().await, student_path);
    assert_eq!(browser.heading().await, "Sammy Shark");
    browser.click_link("Student Registry").await;
    browser.wait_for_heading("Students").await;
    assert!(browser.main_text().await.contains("Sammy Shark"));

    // Accept: gone, and the list says so.
    browser.click_link("Sammy Shark").await;
    browser.wait_for_heading("Sammy Shark").await;
    browser.click_button("Delete").await;
    assert_eq!(browser.dialog_text().await, "Delete Sammy Shark?");
    browser.client().accept_alert().await.expect("accept");
    browser.wait_for_heading("Students").await;
    assert_eq!(browser.flash().await, "Student Sammy Shark deleted");
    let list = browser.main_text().await;
    assert!(list.contains("No students yet"), "{list}");
    assert!(
        !list
            .replace("Student Sammy Shark deleted", "")
            .contains("Sammy"),
        "{list}"
    );
    browser.open(&student_path).await;
    browser.wait_for_heading("Page not found").await;

    // From the list, whose rows' buttons share one form: each asks about
    // its own student and deletes only that one when confirmed.
    browser.open("/").await;
    add_student(&browser, &CARL).await;
    browser.click_link("Student Registry").await;
    browser.wait_for_heading("Students").await;
    browser.click_button("Delete Carl White").await;
    assert_eq!(browser.dialog_text().await, "Delete Carl White?");
    browser.client().dismiss_alert().await.expect("dismiss");
    // Loaded again: a delete sent despite the answer would show by now.
    browser.open("/").await;
    browser.wait_for_heading("Students").await;
    assert!(browser.main_text().await.contains("Carl White"));
    browser.click_button("Delete Carl White").await;
    assert_eq!(browser.dialog_text().await, "Delete Carl White?");
    browser.client().accept_alert().await.expect("accept");
    browser
        .wait_for("the emptied list", async || {
            Ok(browser
                .main_text()
                .await
                .contains("No students yet")
                .then_some(()))
        })
        .await;
    assert_eq!(browser.flash().await, "Student Carl White deleted");
    browser.quit().await;
}

#[tokio::test]
async fn adding_a_student_on_a_phone_never_scrolls_sideways() {
    let app = spawn_app().await;
    let browser = Browser::start(&app.address, Viewport::Phone, true).await;
    browser.open("/").await;
    browser.wait_for_heading("Students").await;
    browser.assert_no_horizontal_scroll("the empty list").await;

    browser.click_link("Add student").await;
    browser.wait_for_heading("Add a new student").await;
    browser.assert_no_horizontal_scroll("the create form").await;
    browser.click_button("Add student").await;
    browser.wait_for_heading("Add a new student").await;
    browser
        .wait_for_element("the error summary", "[role=alert]")
        .await;
    browser
        .assert_no_horizontal_scroll("the form with errors")
        .await;

    SAMMY.fill_in(&browser).await;
    browser.click_button("Add student").await;
    browser.wait_for_heading("Sammy Shark").await;
    assert_eq!(browser.flash().await, "Student Sammy Shark added");
    browser
        .assert_no_horizontal_scroll("a student's page")
        .await;

    // A long email address must wrap, not widen the page.
    let flash = add_student(&browser, &CARL).await;
    assert_eq!(flash, "Student Carl White added");
    browser
        .assert_no_horizontal_scroll("a student with a long email")
        .await;
    browser.click_link("Student Registry").await;
    browser.wait_for_heading("Students").await;
    let list = browser.main_text().await;
    assert!(list.contains("Sammy Shark") && list.contains("Carl White"));
    browser.assert_no_horizontal_scroll("the list").await;
    browser.quit().await;
}

#[tokio::test]
async fn every_page_works_with_javascript_turned_off() {
    let app = spawn_app().await;
    let browser = Browser::start(&app.address, Viewport::Desktop, false).await;
    browser.open("/").await;
    browser.wait_for_heading("Students").await;

    // Create, with a mistake first.
    browser.click_link("Add student").await;
    browser.wait_for_heading("Add a new student").await;
    browser.fill("First name", "Sammy").await;
    browser.click_button("Add student").await;
    browser
        .wait_for_element("the error summary", "[role=alert]")
        .await;
    // app.js would have focused the summary: it did not run.
    let focused = browser
        .js("return document.activeElement.tagName;", vec![])
        .await;
    assert_eq!(focused, json!("BODY"), "page scripts should be off");
    assert_eq!(browser.value_of("First name").await, "Sammy");
    SAMMY.fill_in(&browser).await;
    browser.click_button("Add student").await;
    browser.wait_for_heading("Sammy Shark").await;
    assert_eq!(browser.flash().await, "Student Sammy Shark added");

    // Edit.
    browser.click_link("Edit").await;
    browser.wait_for_heading("Edit Sammy Shark").await;
    browser.fill("City", "Porto").await;
    browser.click_button("Save changes").await;
    browser.wait_for_heading("Sammy Shark").await;
    assert_eq!(browser.flash().await, "Student Sammy Shark updated");
    assert!(browser.main_text().await.contains("Porto"));

    // Open from the list, then delete: no dialog without the script, the
    // button just submits its form.
    browser.click_link("Student Registry").await;
    browser.wait_for_heading("Students").await;
    browser.click_link("Sammy Shark").await;
    browser.wait_for_heading("Sammy Shark").await;
    browser.click_button("Delete").await;
    browser.wait_for_heading("Students").await;
    assert!(!browser.dialog_is_open().await);
    assert_eq!(browser.flash().await, "Student Sammy Shark deleted");
    assert!(browser.main_text().await.contains("No students yet"));

    browser.open("/no-such-page/").await;
    browser.wait_for_heading("Page not found").await;
    browser.click_link("Go to the student list").await;
    browser.wait_for_heading("Students").await;
    browser.quit().await;
}

#[tokio::test]
async fn keyboard_focus_is_always_visible() {
    let app = spawn_app().await;
    let browser = Browser::desktop(&app.address).await;
    browser.open("/").await;
    add_student(&browser, &SAMMY).await;
    let student_path = browser.path().await;

    for path in ["/", student_path.as_str(), "/create/"] {
        browser.open(path).await;
        browser.wait_for_element("the page", "h1").await;
        let mut seen = Vec::new();
        // Tab through the whole page: every stop must show a clear outline.
        for _ in 0..40 {
            browser.press_tab().await;
            let focus = browser
                .js(
                    "const el = document.activeElement;
                     const style = getComputedStyle(el);
                     const box = el.getBoundingClientRect();
                     return { tag: el.tagName, name: (el.innerText || el.id || '').trim(),
                              outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
                              onScreen: box.right > 0 && box.bottom > 0 && box.width > 0 };",
                    vec![],
                )
                .await;
            if focus["tag"] == json!("BODY") {
                break;
            }
            assert!(
                focus["outline"] != json!("none")
                    && focus["width"].as_f64().unwrap_or(0.0) >= 2.0
                    && focus["onScreen"] == json!(true),
                "focus is not visible on {path}: {focus}"
            );
            seen.push(focus["name"].as_str().unwrap_or_default().to_owned());
            if seen.len() > 1 && seen.first() == seen.last() {
                break;
            }
        }
        assert!(
            seen.first().map(String::as_str) == Some("Skip to content"),
            "the first Tab on {path} should reach the skip link: {seen:?}"
        );
        assert!(seen.len() >= 4, "too few focus stops on {path}: {seen:?}");
    }
    browser.quit().await;
}

#[tokio::test]
async fn a_students_page_shows_who_changed_what_in_its_history() {
    let app = spawn_app().await;
    let browser = Browser::desktop(&app.address).await;
    add_student(&browser, &SAMMY).await;
    browser.click_link("Edit").await;
    browser.wait_for_heading("Edit Sammy Shark").await;
    browser.fill("City", "Porto").await;
    browser.click_button("Save changes").await;
    browser.wait_for_heading("Sammy Shark").await;
    let history = browser.text_of(".history").await;
    assert!(history.starts_with("History"), "{history}");
    let newest = browser.text_of(".history-event:first-child").await;
    for shown in [
        "Student changed",
        "By Ada Admin <admin@example.com>",
        "City",
        "Lisbon",
        "Porto",
    ] {
        assert!(newest.contains(shown), "{shown:?} missing from:\n{newest}");
    }
    let oldest = browser.text_of(".history-event:last-child").await;
    assert!(oldest.contains("Student added"), "{oldest}");
    browser.quit().await;
}
