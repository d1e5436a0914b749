//! Hostile input is shown as text on every page, never run as markup.

use reqwest::StatusCode;

use crate::helpers::*;

const SCRIPT: &str = "<script>alert(1)</script>";
const BREAKOUT: &str = "\"><img src=x onerror=alert(1)>";

#[tokio::test]
async fn hostile_values_are_escaped_on_every_page() {
    let app = spawn_app().await;
    let fields = vec![
        ("firstname", SCRIPT.to_owned()),
        ("lastname", BREAKOUT.to_owned()),
        ("email", "x@example.com".to_owned()),
        ("age", "".to_owned()),
        ("bio", format!("{SCRIPT}{BREAKOUT}</textarea>{SCRIPT}")),
        ("city", format!("' onmouseover='alert(1){BREAKOUT}")),
    ];
    let id = app.create(&fields).await;

    for path in ["/".to_owned(), format!("/{id}/"), format!("/{id}/edit/")] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.text().await.unwrap();
        assert!(!body.contains("<script>alert"), "raw script on {path}");
        assert!(!body.contains("<img"), "raw img on {path}");
        assert!(
            !body.contains("</textarea><script>"),
            "textarea breakout on {path}"
        );
        let html = scraper::Html::parse_document(&body);
        assert!(
            select(&html, "img").is_empty(),
            "an <img> element on {path}"
        );
        let scripts = select(&html, "script").len();
        assert_eq!(scripts, 1, "only the app's own script on {path}");
        let main = text(&html, "main").unwrap();
        assert!(main.contains(SCRIPT), "shown as text on {path}");
    }

    // The edit form gives the values back exactly, as text.
    let (_, html) = app.page(&format!("/{id}/edit/")).await;
    for (name, value) in &fields {
        assert_eq!(&field_value(&html, name), value, "{name}");
    }
}

#[tokio::test]
async fn hostile_values_are_escaped_in_a_rejected_form_too() {
    let app = spawn_app().await;
    let fields = with(with(sammy(), "email", BREAKOUT), "firstname", SCRIPT);
    let response = app.post_form("/create/", &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script>alert") && !body.contains("<img"));
    let html = scraper::Html::parse_document(&body);
    assert_eq!(field_value(&html, "email"), BREAKOUT);
    assert_eq!(field_value(&html, "firstname"), SCRIPT);
}
