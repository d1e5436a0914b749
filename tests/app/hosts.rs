//! Hosts and origins: a request for a name the app does not answer to (DNS
//! rebinding) is refused before anything runs; the CSRF `Origin` check
//! compares scheme, host and port, and believes proxy headers only when told.

use reqwest::StatusCode;
use reqwest::header::{HOST, ORIGIN};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

fn port(app: &TestApp) -> u16 {
    app.address
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("the app's address ends in its port")
}

fn set_cookies(response: &reqwest::Response) -> usize {
    response.headers().get_all("set-cookie").iter().count()
}

#[tokio::test]
async fn a_rebound_name_gets_a_400_on_pages_and_the_api_and_nothing_is_stored() {
    let app = spawn_app().await;
    let port = port(&app);
    // What a page served as rebind.evil.example, resolving to the app, has:
    // a session of its own and a same-origin `Origin`.
    let token = app.csrf_token().await;
    for host in [
        "rebind.evil.example".to_owned(),
        format!("rebind.evil.example:{port}"),
        format!("REBIND.evil.example:{port}"),
    ] {
        let origin = format!("http://{host}");
        for path in ["/", "/create/", "/healthz", "/static/style.css"] {
            let response = app
                .client
                .get(app.url(path))
                .header(HOST, &host)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{host} {path}");
            assert_eq!(set_cookies(&response), 0, "no session for {host}");
            assert!(
                response.headers()["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .contains("default-src"),
                "the security headers are still sent"
            );
            let body = response.text().await.unwrap();
            assert!(body.contains("Bad request"), "a styled page: {body}");
        }
        let create = app
            .client
            .post(app.url("/create/"))
            .header(HOST, &host)
            .header(ORIGIN, &origin)
            .form(&with(sammy(), "csrf_token", &token))
            .send()
            .await
            .unwrap();
        assert_eq!(create.status(), StatusCode::BAD_REQUEST, "{host}");

        let list = app
            .client
            .get(app.url("/api/students"))
            .header(HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(list.status(), StatusCode::BAD_REQUEST, "{host}");
        let body: Value = list.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("Host"), "{body}");
        assert_eq!(body["fields"], serde_json::json!({}));

        let api_create = app
            .client
            .post(app.url("/api/students"))
            .header(HOST, &host)
            .header(ORIGIN, &origin)
            .json(&serde_json::json!({
                "firstname": "Sammy", "lastname": "Shark",
                "email": "sammyshark@example.com"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(api_create.status(), StatusCode::BAD_REQUEST, "{host}");
    }
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn the_apps_own_names_on_its_port_are_answered() {
    let app = spawn_app().await;
    let port = port(&app);
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let response = app
            .client
            .get(app.url("/"))
            .header(HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{host}");
    }
    // Another port is another origin: not the app's own.
    for host in ["localhost".to_owned(), format!("localhost:{}", port ^ 1)] {
        let response = app
            .client
            .get(app.url("/"))
            .header(HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{host}");
    }
}

#[tokio::test]
async fn a_form_posted_through_localhost_names_that_origin() {
    let app = spawn_app().await;
    let port = port(&app);
    let token = app.csrf_token().await;
    let host = format!("localhost:{port}");
    let post = |origin: String| {
        app.client
            .post(app.url("/create/"))
            .header(HOST, &host)
            .header(ORIGIN, origin)
            .form(&with(sammy(), "csrf_token", &token))
            .send()
    };
    // The scheme counts as well as host and port.
    for other in [
        format!("https://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
        "http://localhost".to_owned(),
    ] {
        let response = post(other.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{other}");
    }
    assert!(app.students().is_empty());
    let response = post(format!("http://localhost:{port}")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// Sends `request` as is and returns the status line.
async fn raw(app: &TestApp, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port(app)))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    response.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn http_1_1_without_host_or_with_two_is_a_400() {
    let app = spawn_app().await;
    let port = port(&app);
    let status = raw(&app, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n").await;
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    let status = raw(
        &app,
        &format!(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    // An absolute request target names the host, whatever `Host` says.
    let status = raw(
        &app,
        &format!(
            "GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    // HTTP/1.0 had no Host header.
    let status = raw(&app, "GET /healthz HTTP/1.0\r\n\r\n").await;
    assert!(status.contains(" 200"), "{status}");
}

#[tokio::test]
async fn allowed_hosts_adds_names() {
    let app = spawn_app_with(|settings| {
        settings.allowed_hosts = vec!["registry.school.example".parse().unwrap()];
    })
    .await;
    let token = app.csrf_token().await;
    let response = app
        .client
        .get(app.url("/"))
        .header(HOST, "Registry.School.Example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .client
        .post(app.url("/create/"))
        .header(HOST, "registry.school.example")
        .header(ORIGIN, "http://registry.school.example")
        .form(&with(sammy(), "csrf_token", &token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app
        .client
        .get(app.url("/"))
        .header(HOST, "other.school.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn forwarded_host_headers_are_ignored_without_trust_proxy() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    for (header, value) in [
        ("x-forwarded-host", "evil.example"),
        ("forwarded", "host=evil.example;proto=http"),
    ] {
        // Not a reason to refuse a page: the header is just not believed...
        let page = app
            .client
            .get(app.url("/"))
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{header}");
        // ...so it cannot make another site's Origin look like this one.
        let response = app
            .client
            .post(app.url("/create/"))
            .header(header, value)
            .header(ORIGIN, "http://evil.example")
            .form(&with(sammy(), "csrf_token", &token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header}");
    }
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn behind_a_trusted_proxy_its_host_and_scheme_are_the_origin() {
    let app = spawn_app_with(|settings| {
        settings.trust_proxy = true;
        settings.allowed_hosts = vec!["registry.school.example".parse().unwrap()];
    })
    .await;
    let token = app.csrf_token().await;
    let post = |forwarded: [(&'static str, &'static str); 2], origin: &'static str| {
        let mut request = app
            .client
            .post(app.url("/create/"))
            .header(ORIGIN, origin)
            .form(&with(sammy(), "csrf_token", &token));
        for (name, value) in forwarded {
            request = request.header(name, value);
        }
        request.send()
    };
    let x_forwarded = [
        ("x-forwarded-host", "registry.school.example"),
        ("x-forwarded-proto", "https"),
    ];
    // The proxy received https, so an http Origin is another site's.
    let response = post(x_forwarded, "http://registry.school.example")
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A name the app does not answer to, forwarded, is refused as such.
    let response = post(
        [
            ("x-forwarded-host", "rebind.evil.example"),
            ("x-forwarded-proto", "https"),
        ],
        "https://rebind.evil.example",
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(app.students().is_empty());

    let response = post(x_forwarded, "https://registry.school.example")
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let rfc_7239 = [
        (
            "forwarded",
            "for=192.0.2.1;host=registry.school.example;proto=https",
        ),
        ("x-unused", "-"),
    ];
    let response = post(rfc_7239, "https://registry.school.example")
        .await
        .unwrap();
    // Accepted as far as the origin goes: the email is taken by now.
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// A proxy that sets one family of forwarding headers may pass the other on
/// from the client: a page on a rebound name must not vouch for itself with
/// the family the proxy does not set.
#[tokio::test]
async fn a_clients_forwarding_header_cannot_stand_in_for_the_proxys() {
    let app = spawn_app_with(|settings| {
        settings.trust_proxy = true;
        settings.allowed_hosts = vec!["registry.school.example".parse().unwrap()];
    })
    .await;
    for headers in [
        // The proxy set X-Forwarded-Host; the client added Forwarded.
        [
            ("x-forwarded-host", "rebind.evil.example"),
            ("forwarded", "host=registry.school.example;proto=https"),
        ],
        // The proxy set Forwarded without a host; the client added
        // X-Forwarded-Host.
        [
            ("forwarded", "for=192.0.2.1;proto=https"),
            ("x-forwarded-host", "registry.school.example"),
        ],
    ] {
        let mut request = app.client.get(app.url("/api/students"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{headers:?}");
    }
    // Both families saying the same thing are one proxy's word.
    let response = app
        .client
        .get(app.url("/api/students"))
        .header("x-forwarded-host", "registry.school.example")
        .header("forwarded", "host=registry.school.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// A proxy that sets only `X-Forwarded-For` passes a client's `Forwarded`
/// on: its `for=` must not become the address the audit trail records.
#[tokio::test]
async fn a_clients_forwarded_for_is_not_the_address_behind_an_x_forwarded_proxy() {
    use scraper::Html;
    use student_registry::audit::{self, Action, Subject};
    let app = spawn_app_with(|settings| settings.trust_proxy = true).await;
    let sign_in = |forwarded: &'static str| {
        let visitor = client();
        let login_url = app.url("/login/");
        async move {
            let login = visitor.get(&login_url).send().await.unwrap();
            let html = Html::parse_document(&login.text().await.unwrap());
            let token = attr(&html, "input[name=csrf_token]", "value").unwrap();
            visitor
                .post(&login_url)
                .header("x-forwarded-for", "203.0.113.9")
                .header("forwarded", forwarded)
                .form(&[
                    ("email", STAFF_EMAIL),
                    ("password", STAFF_PASSWORD),
                    ("csrf_token", &token),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Newest first; the set-up's own sign-in among them.
    let sign_in_addresses = || -> Vec<Option<String>> {
        audit::for_subject(&mut app.db(), Subject::User(app.staff.id), 100)
            .unwrap()
            .into_iter()
            .filter(|event| event.action == Action::UserSignIn.as_str())
            .map(|event| event.address)
            .collect()
    };
    let before = sign_in_addresses();
    // The families disagree about the client: refused, like a host.
    assert_eq!(sign_in("for=198.51.100.66").await, StatusCode::BAD_REQUEST);
    assert_eq!(sign_in_addresses(), before);
    // Agreeing (`Forwarded` may quote the node and add a port), they
    // are one proxy's word.
    assert_eq!(
        sign_in("For=\"203.0.113.9:4711\"").await,
        StatusCode::SEE_OTHER
    );
    let after = sign_in_addresses();
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after[0].as_deref(), Some("203.0.113.9"));
}
