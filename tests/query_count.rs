//! An index page costs a fixed number of queries, whatever its size: no
//! per-row queries. Its own test binary, because diesel's default
//! instrumentation is process-wide.

#[allow(dead_code)]
#[path = "app/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "app/test_database.rs"]
mod test_database;

/// On SQLite: PostgreSQL's pool adds a health check to each checkout.
const BACKEND: test_database::Backend = test_database::Backend::Sqlite;

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use student_registry::students::seed;

static QUERIES: AtomicUsize = AtomicUsize::new(0);

struct CountQueries;

impl Instrumentation for CountQueries {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            QUERIES.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn an_index_page_issues_at_most_four_queries_whatever_the_page_size() {
    set_default_instrumentation(|| Some(Box::new(CountQueries))).unwrap();
    let app = helpers::spawn_app().await;
    seed::seed(&mut app.db(), 997).unwrap();

    let mut counts = Vec::new();
    for query in [
        "per_page=10",
        "per_page=100",
        "per_page=100&page=10",
        "per_page=100&sort=city&dir=desc&page=4",
        "q=ros&per_page=100",
        "q=ro&per_page=100",
    ] {
        QUERIES.store(0, Ordering::SeqCst);
        let response = app.get(&format!("/?{query}")).await;
        assert_eq!(response.status(), 200, "{query}");
        let rows = scraper::Html::parse_document(&response.text().await.unwrap());
        assert!(
            !helpers::select(&rows, "tbody tr").is_empty(),
            "{query} shows rows"
        );
        counts.push((query, QUERIES.load(Ordering::SeqCst)));
    }
    // The session and the signed-in account, then the page's count and rows.
    for (query, count) in &counts {
        assert!(*count <= 4, "{query}: {count} queries");
        assert!(*count >= 1, "{query}: the counter saw no query at all");
    }
    assert!(
        counts.iter().all(|(_, count)| *count == counts[0].1),
        "{counts:?}"
    );
}
