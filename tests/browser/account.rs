//! The account pages as a person meets them: the account, a refused and
//! then an accepted new password, the tokens page empty, a token made (shown
//! once) and a refused one; each page accessible and valid HTML.

use crate::app::{STAFF_PASSWORD, spawn_app};
use crate::browser::{Browser, Viewport};
use crate::checks::assert_valid_html;
use crate::pages::check;

#[tokio::test]
async fn the_account_and_tokens_pages_are_accessible_and_valid_html() {
    let app = spawn_app().await;
    let browser = Browser::start(&app.address, Viewport::Desktop, true).await;
    let mut sources = Vec::new();

    browser.open("/account/").await;
    browser.wait_for_heading("Your account").await;
    check(&browser, "account", &mut sources).await;

    browser.fill("Current password", "not the password").await;
    browser.fill("New password", "short").await;
    browser.click_button("Change password").await;
    browser
        .wait_for_element("the error summary", ".error-summary")
        .await;
    check(&browser, "account-password-errors", &mut sources).await;

    browser.fill("Current password", STAFF_PASSWORD).await;
    browser
        .fill("New password", "quietly orbiting lanterns")
        .await;
    browser.click_button("Change password").await;
    assert!(browser.flash().await.contains("password is changed"));
    check(&browser, "account-password-changed", &mut sources).await;

    browser.click_link("Your API tokens").await;
    browser.wait_for_heading("Your API tokens").await;
    check(&browser, "tokens-empty", &mut sources).await;

    browser.fill("Name", "nightly sync").await;
    browser.click_button("Make the token").await;
    browser
        .wait_for_element("the new token", "#new-token")
        .await;
    assert!(browser.text_of("#new-token").await.starts_with("sr_"));
    check(&browser, "token-created", &mut sources).await;

    browser.fill("Name", "Nightly Sync").await;
    browser.fill("Expires in (days)", "0").await;
    browser.click_button("Make the token").await;
    browser
        .wait_for_element("the error summary", ".error-summary")
        .await;
    check(&browser, "token-errors", &mut sources).await;

    browser.quit().await;
    assert_valid_html(sources).await;
}
