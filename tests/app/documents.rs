//! What every page is, whatever it shows: a complete document with the
//! navigation and a description, links that lead somewhere, the security
//! headers, and the session cookie's attributes.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn every_page_is_a_complete_document_with_the_navigation() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    for (path, title) in [
        ("/", "Students · Student Registry".to_owned()),
        (
            &format!("/{id}/") as &str,
            "Sammy Shark · Student Registry".to_owned(),
        ),
        (
            "/create/",
            "Add a new student · Student Registry".to_owned(),
        ),
        (
            &format!("/{id}/edit/") as &str,
            "Edit Sammy Shark · Student Registry".to_owned(),
        ),
        ("/account/", "Your account · Student Registry".to_owned()),
        (
            "/account/tokens/",
            "Your API tokens · Student Registry".to_owned(),
        ),
        ("/404/", "Page not found · Student Registry".to_owned()),
    ] {
        let response = app.get(path).await;
        let body = response.text().await.unwrap();
        assert!(body.starts_with("<!DOCTYPE html>"), "{path}");
        let html = scraper::Html::parse_document(&body);
        assert_eq!(attr(&html, "html", "lang").as_deref(), Some("en"), "{path}");
        assert_eq!(text(&html, "title"), Some(title), "{path}");
        assert_eq!(select(&html, "main").len(), 1, "{path}");
        assert_eq!(
            attr(&html, "nav a.brand", "href").as_deref(),
            Some("/"),
            "{path}"
        );
        // The error page is the same for everyone: it names no one.
        if path != "/404/" {
            assert_eq!(
                text(&html, "nav a[href='/create/']").as_deref(),
                Some("Add student"),
                "{path}"
            );
            assert_eq!(
                text(&html, "nav .nav-user").as_deref(),
                Some("admin (admin)"),
                "{path}"
            );
            assert_eq!(
                text(&html, "nav form[action='/logout/'] button").as_deref(),
                Some("Sign out"),
                "{path}"
            );
        }
    }
    // Signed out: the sign-in page, with the brand and nothing else.
    let response = client().get(app.url("/login/")).send().await.unwrap();
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        text(&html, "title").as_deref(),
        Some("Sign in · Student Registry")
    );
    assert_eq!(select(&html, "nav a").len(), 1);
    assert!(select(&html, "nav form").is_empty());
}

#[tokio::test]
async fn every_link_on_the_pages_leads_somewhere() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    for page in [
        "/",
        &format!("/{id}/"),
        "/create/",
        &format!("/{id}/edit/"),
        "/account/",
        "/account/tokens/",
    ] {
        let (_, html) = app.page(page).await;
        let selector = scraper::Selector::parse("a[href], link[href], script[src]").unwrap();
        for element in html.select(&selector) {
            let target = element
                .value()
                .attr("href")
                .or(element.value().attr("src"))
                .unwrap();
            if target.starts_with('#')
                || target.starts_with("mailto:")
                || target.starts_with("data:")
            {
                continue;
            }
            let status = app.get(target).await.status();
            assert_eq!(status, StatusCode::OK, "{target} linked from {page}");
        }
    }
}

#[tokio::test]
async fn the_health_check_answers_when_the_database_does() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn responses_carry_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/create/", "/no-such-page/"] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(headers.contains_key("referrer-policy"));
    }
    // No inline script anywhere, so the policy costs nothing.
    let body = app.get("/create/").await.text().await.unwrap();
    assert!(
        !body.contains("<script>") && !body.contains(" onclick=") && !body.contains("style=\"")
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    // The sign-in form starts the session.
    let response = client().get(app.url("/login/")).send().await.unwrap();
    let cookie = set_cookie(&response, "registry_session").expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "not Secure unless configured: {cookie}"
    );
}

#[tokio::test]
async fn with_cookie_secure_the_session_cookie_is_secure_and_host_prefixed() {
    let app = spawn_app_with(|settings| settings.secure_cookies = true).await;
    let response = client().get(app.url("/login/")).send().await.unwrap();
    let cookie = set_cookie(&response, "__Host-registry_session")
        .expect("a session cookie named with the __Host- prefix");
    // What browsers require of a `__Host-` cookie, or they drop it.
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|attribute| attribute.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "secure"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "path=/"), "{cookie}");
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "{cookie}"
    );
    assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
}

#[tokio::test]
async fn every_page_describes_itself_for_search_engines_and_link_previews() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    for path in [
        "/".to_owned(),
        "/create/".to_owned(),
        format!("/{id}/"),
        format!("/{id}/edit/"),
        "/no-such-page/".to_owned(),
    ] {
        let (_, html) = app.page(&path).await;
        let description = attr(&html, "meta[name=description]", "content").unwrap_or_default();
        assert!(description.len() > 20, "{path}: {description:?}");
    }
    let (_, html) = app.page(&format!("/{id}/")).await;
    assert_eq!(
        attr(&html, "meta[name=description]", "content").as_deref(),
        Some("The student record of Sammy Shark: contact, age, city and bio.")
    );
}

/// The `Set-Cookie` line of the cookie `name`, if the response sets it.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with(&format!("{name}=")))
}
