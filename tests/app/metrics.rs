//! `/metrics` (METRICS_ADDR): served on its own address only, counting this
//! app's requests by route pattern and status, with latency histograms, the
//! pool and database failures.

use std::time::Duration;

use reqwest::StatusCode;
use student_registry::students::seed;

use crate::helpers::*;

/// The text a scrape of `app`'s metrics returns.
async fn scrape(app: &TestApp) -> String {
    let address = app.metrics_address.as_ref().expect("metrics are on");
    let response = reqwest::get(format!("{address}/metrics"))
        .await
        .expect("GET /metrics");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4"
    );
    response.text().await.expect("body")
}

/// The value of the sample `series` (name and labels, as written), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.parse().ok()
    })
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_method_and_status() {
    let app = spawn_app_with_metrics().await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    assert_eq!(app.get("/4242/").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/no/such/page/at/all").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/nope/42").await.status(),
        StatusCode::NOT_FOUND
    );
    let id = app.create(&sammy()).await;
    assert_eq!(
        app.get(&format!("/{id}/edit/")).await.status(),
        StatusCode::OK
    );

    let text = scrape(&app).await;
    for (series, count) in [
        (
            r#"http_requests_total{method="GET",route="/",status="200"}"#,
            2.0,
        ),
        (
            r#"http_requests_total{method="GET",route="/{id}/",status="404"}"#,
            1.0,
        ),
        (
            r#"http_requests_total{method="GET",route="unmatched",status="404"}"#,
            2.0,
        ),
        (
            r#"http_requests_total{method="POST",route="/create/",status="303"}"#,
            1.0,
        ),
        (
            r#"http_requests_total{method="GET",route="/{id}/edit/",status="200"}"#,
            1.0,
        ),
        (
            r#"http_request_duration_seconds_count{method="GET",route="/"}"#,
            2.0,
        ),
        (
            r#"http_request_duration_seconds_bucket{method="GET",route="/",le="+Inf"}"#,
            2.0,
        ),
        (
            r#"http_request_duration_seconds_bucket{method="POST",route="/create/",le="15"}"#,
            1.0,
        ),
    ] {
        assert_eq!(sample(&text, series), Some(count), "{series} in\n{text}");
    }
    assert!(
        text.contains(r#"http_request_duration_seconds_bucket{method="GET",route="/",le="0.001"}"#),
        "the buckets start at a millisecond:\n{text}"
    );
    // Never the raw path: that would be a new series per URL tried.
    assert!(!text.contains("/4242/"), "{text}");
    assert!(!text.contains("/no/such"), "{text}");
    assert!(!text.contains("nope"), "{text}");
    for kind in ["unavailable", "not_saved", "too_slow", "other"] {
        let series = format!(r#"db_errors_total{{kind="{kind}"}}"#);
        assert_eq!(sample(&text, &series), Some(0.0), "{series} in\n{text}");
    }
}

#[tokio::test]
async fn the_pool_is_measured_at_each_scrape() {
    let app = spawn_app_with_metrics().await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    let text = scrape(&app).await;
    let in_use = sample(&text, r#"db_pool_connections{state="in_use"}"#).expect("in use");
    let idle = sample(&text, r#"db_pool_connections{state="idle"}"#).expect("idle");
    assert_eq!(sample(&text, "db_pool_max_connections"), Some(8.0));
    assert_eq!(in_use, 0.0, "no request is running:\n{text}");
    assert!((1.0..=8.0).contains(&idle), "{text}");
    assert_eq!(sample(&text, "db_pool_waiting"), Some(0.0));
    assert_eq!(sample(&text, "db_pool_timeouts_total"), Some(0.0));
    assert!(
        text.contains("# TYPE db_pool_timeouts_total counter"),
        "{text}"
    );
    assert!(text.contains("# TYPE db_pool_waiting gauge"), "{text}");
}

#[tokio::test]
async fn metrics_are_never_served_on_the_app_port_and_are_off_by_default() {
    let app = spawn_app_with_metrics().await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/metrics/").await.status(), StatusCode::NOT_FOUND);
    let text = scrape(&app).await;
    let unmatched = r#"http_requests_total{method="GET",route="unmatched",status="404"}"#;
    assert_eq!(sample(&text, unmatched), Some(2.0), "{text}");

    // The metrics listener serves that one path, and nothing of the app.
    let metrics = app.metrics_address.as_ref().expect("metrics are on");
    for path in ["/", "/healthz", "/metrics/"] {
        let response = reqwest::get(format!("{metrics}{path}")).await.expect("GET");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }

    let off = spawn_app().await;
    assert!(off.metrics_address.is_none());
    assert_eq!(off.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_search_stopped_by_the_budget_counts_as_a_too_slow_database_error() {
    let app = spawn_app_with(|settings| {
        settings.metrics_addr = Some(([127, 0, 0, 1], 0).into());
        settings.database.query_timeout = Some(Duration::from_millis(20));
    })
    .await;
    seed::seed(&mut app.db(), 20_000).expect("seed");
    // As in `stalling`: each word matches every student.
    let everything = vec!["e"; 50].join("%20");
    let page = app.get(&format!("/?q={everything}&page=400")).await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    let api = app
        .get(&format!("/api/students?q={everything}&page=400"))
        .await;
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);

    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, r#"db_errors_total{kind="too_slow"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"db_errors_total{kind="unavailable"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"http_requests_total{method="GET",route="/",status="503"}"#
        ),
        Some(1.0),
        "{text}"
    );
}

/// SQLite's writes are grouped into commits, and counted: a form create,
/// and the page its redirect leads to (which shows and clears the flash
/// message, kept in a cookie), write once between them: the student.
#[tokio::test]
async fn a_create_and_its_flash_message_are_one_grouped_write() {
    let app = spawn_app_with_metrics().await;
    if matches!(app.database, TestDatabase::Postgres { .. }) {
        // PostgreSQL commits each write on its own, uncounted.
        assert_eq!(sample(&scrape(&app).await, "db_grouped_writes_total"), None);
        return;
    }
    let before = scrape(&app).await;
    let writes = sample(&before, "db_grouped_writes_total").expect("counted");
    let groups = sample(&before, "db_write_groups_total").expect("counted");

    let response = app.post_form("/create/", &sammy()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    let (_, html) = app.page(&location).await;
    assert_eq!(
        text(&html, ".flash").as_deref(),
        Some("Student Sammy Shark added")
    );

    let after = scrape(&app).await;
    assert_eq!(
        sample(&after, "db_grouped_writes_total"),
        Some(writes + 1.0)
    );
    assert_eq!(sample(&after, "db_write_groups_total"), Some(groups + 1.0));
}
