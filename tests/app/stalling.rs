//! One client must not be able to stall everyone: queries have a budget,
//! searches without words never reach the table, and request bodies must
//! arrive in time.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;
use serde_json::Value;
use student_registry::seed;
use student_registry::students::listing::{SEARCH_NEEDS_WORDS, SEARCH_TOO_BROAD};

use crate::helpers::*;

/// Every generated student's email ends in `students.example.edu`, so each
/// of these 50 one-letter words matches every student: 50 posting lists of
/// every row intersected, for the count and again for a page deep in the
/// result. Seconds of work on 20,000 students without a budget.
fn search_for_everything() -> String {
    vec!["e"; 50].join("%20")
}

#[tokio::test]
async fn a_search_past_the_query_budget_is_stopped_with_a_clear_message_and_the_app_keeps_serving()
{
    let budget = Duration::from_millis(100);
    let app = spawn_app_with(|settings| settings.database.query_timeout = Some(budget)).await;
    seed::seed(&mut app.db(), 20_000).expect("seed");
    let term = vec!["e"; 50].join(" ");

    let started = Instant::now();
    let response = app
        .get(&format!("/?q={}&page=400", search_for_everything()))
        .await;
    let status = response.status();
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        text(&html, ".empty-state h2").as_deref(),
        Some(SEARCH_TOO_BROAD)
    );
    assert_eq!(
        attr(&html, "input[name=q]", "value").as_deref(),
        Some(term.as_str()),
        "the search box keeps what was typed"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stopped at the budget, not run to the end: {:?}",
        started.elapsed()
    );

    let response = app
        .get(&format!(
            "/api/students?q={}&page=400",
            search_for_everything()
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], SEARCH_TOO_BROAD);
    assert_eq!(body["fields"], serde_json::json!({}));

    // The connections the stopped queries held serve the next requests.
    for _ in 0..3 {
        let (status, html) = app.page("/?q=sammy%20shark").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            text(&html, ".summary").as_deref(),
            Some("1 student matches ‘sammy shark’")
        );
        let (status, _) = app.page("/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(app.get("/2/").await.status(), StatusCode::OK);
        assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_search_without_letters_or_digits_asks_for_one_and_reads_nothing() {
    let app = spawn_app().await;
    app.create(&with(sammy(), "lastname", "Shark \"100%\" _x_"))
        .await;
    for (typed, query) in [
        ("-", "-"),
        ("%", "%25"),
        ("_", "_"),
        ("% _ @ \"", "%25%20_%20%40%20%22"),
    ] {
        let (status, html) = app.page(&format!("/?q={query}")).await;
        assert_eq!(status, StatusCode::OK, "{typed}");
        assert_eq!(
            text(&html, ".empty-state h2").as_deref(),
            Some(SEARCH_NEEDS_WORDS),
            "{typed}"
        );
        assert_eq!(
            attr(&html, "input[name=q]", "value").as_deref(),
            Some(typed)
        );
        assert!(select(&html, ".cell-name a").is_empty(), "{typed}");

        let response = app.get(&format!("/api/students?q={query}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{typed}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["total"], 0, "{typed}");
    }

    // Without its table, a query fails; a search without words still
    // answers, because it asks nothing.
    app.db()
        .batch_execute("ALTER TABLE students RENAME TO students_elsewhere")
        .expect("rename the table");
    assert_ne!(app.get("/?q=sammy").await.status(), StatusCode::OK);
    let (status, html) = app.page("/?q=%25").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&html, ".empty-state h2").as_deref(),
        Some(SEARCH_NEEDS_WORDS)
    );
}
