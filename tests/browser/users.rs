//! The admin's account pages as an admin meets them: the list, a refused
//! and then an accepted new account, its page, and a refused change (the
//! last admin's deactivation); each page accessible and valid HTML.

use crate::app::spawn_app;
use crate::browser::{Browser, Viewport};
use crate::checks::assert_valid_html;
use crate::pages::check;

#[tokio::test]
async fn the_account_admin_pages_are_accessible_and_valid_html() {
    let app = spawn_app().await;
    let browser = Browser::start(&app.address, Viewport::Desktop, true).await;
    let mut sources = Vec::new();

    browser.click_link("Users").await;
    browser.wait_for_heading("Staff accounts").await;
    check(&browser, "users", &mut sources).await;

    browser.click_link("Add account").await;
    browser.wait_for_heading("Add a staff account").await;
    check(&browser, "user-new", &mut sources).await;

    browser.fill("Email", "not an email").await;
    browser.fill("Initial password", "short").await;
    browser.click_button("Create account").await;
    browser
        .wait_for_element("the error summary", ".error-summary")
        .await;
    check(&browser, "user-new-errors", &mut sources).await;

    browser.fill("Email", "vera@example.com").await;
    browser.fill("Name", "Vera Viewer").await;
    browser
        .fill("Initial password", "quietly orbiting lanterns")
        .await;
    browser.click_button("Create account").await;
    browser.wait_for_heading("Vera Viewer").await;
    check(&browser, "user", &mut sources).await;

    // The only admin may not deactivate themself: the page says why.
    browser.open("/users/").await;
    browser.wait_for_heading("Staff accounts").await;
    // (The header's link to one's own account reads the same.)
    let own = browser
        .js(
            "return [...document.querySelectorAll('main a')]
                 .find((link) => link.textContent.trim() === 'Ada Admin').getAttribute('href');",
            vec![],
        )
        .await;
    browser.open(own.as_str().expect("the admin's row")).await;
    browser.wait_for_heading("Ada Admin (you)").await;
    browser.click_button("Deactivate").await;
    assert_eq!(browser.dialog_text().await, "Deactivate Ada Admin?");
    browser.client().accept_alert().await.expect("accept");
    browser
        .wait_for_element("the refusal", ".error-summary")
        .await;
    check(&browser, "user-refused", &mut sources).await;

    browser.quit().await;
    assert_valid_html(sources).await;
}
