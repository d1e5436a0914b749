//! One client must not be able to stall everyone: queries have a budget,
//! searches without words never reach the table, and request bodies must
//! arrive in time.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;
use serde_json::Value;
use student_registry::students::listing::{SEARCH_NEEDS_WORDS, SEARCH_TOO_BROAD};
use student_registry::students::seed;

use crate::helpers::*;

/// Every generated student's email ends in `students.example.edu`, so each
/// of these 50 one-letter words matches every student: 50 posting lists of
/// every row intersected, for the count and again for a page deep in the
/// result. Without a budget: seconds on SQLite, ~50 ms a statement on
/// PostgreSQL (on an idle 2-core machine; so the budget below is smaller).
fn search_for_everything() -> String {
    vec!["e"; 50].join("%20")
}

#[tokio::test]
async fn a_search_past_the_query_budget_is_stopped_with_a_clear_message_and_the_app_keeps_serving()
{
    let budget = Duration::from_millis(20);
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

/// Opens a connection, sends the head of a POST whose body says it is 1,000
/// bytes long, and then sends one byte of it every 100 ms until the server
/// stops taking them. Returns the reading half.
async fn trickle(app: &TestApp, path: &str, content_type: &str) -> tokio::net::tcp::OwnedReadHalf {
    trickle_body(app, path, content_type, false).await
}

/// [`trickle`], sending the body as one-byte chunks when `chunked`.
async fn trickle_body(
    app: &TestApp,
    path: &str,
    content_type: &str,
    chunked: bool,
) -> tokio::net::tcp::OwnedReadHalf {
    use tokio::io::AsyncWriteExt;
    let address = app.address.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let (reader, mut writer) = stream.into_split();
    let (length, piece): (&str, &[u8]) = if chunked {
        ("Transfer-Encoding: chunked", b"1\r\na\r\n")
    } else {
        ("Content-Length: 1000", b"a")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n\
         Cookie: {}\r\nAuthorization: Bearer {}\r\n{length}\r\n\r\n",
        app.cookie_header(),
        app.api_token
    );
    writer.write_all(head.as_bytes()).await.expect("send head");
    tokio::spawn(async move {
        for _ in 0..1000 {
            if writer.write_all(piece).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    reader
}

/// Everything the server sends until it closes the connection (a reset
/// after the response counts as closing), or `None` if it keeps it open
/// longer than `wait`.
async fn read_until_closed(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    wait: Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(wait, read).await.ok()?;
    Some(String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_gets_408_and_its_connection_is_closed() {
    let deadline = Duration::from_secs(1);
    let app = spawn_app_with(|settings| settings.body_timeout = deadline).await;
    let form = "application/x-www-form-urlencoded";
    let form_says = "The form took too long to arrive";
    let api_says = "\"error\":\"the request body did not arrive in time; send it again\"";
    for (path, content_type, chunked, says) in [
        ("/create/", form, false, form_says),
        ("/api/students", "application/json", false, api_says),
        ("/1/delete/", form, false, form_says),
        // Chunked: actix would drain the rest of the body, however slow.
        ("/create/", form, true, form_says),
        ("/api/students", "application/json", true, api_says),
    ] {
        let started = Instant::now();
        let mut reader = trickle_body(&app, path, content_type, chunked).await;
        let response = read_until_closed(&mut reader, deadline + Duration::from_secs(4))
            .await
            .unwrap_or_else(|| {
                panic!("{path} (chunked: {chunked}): no answer, or the connection stayed open")
            });
        let elapsed = started.elapsed();
        assert!(response.starts_with("HTTP/1.1 408"), "{path}: {response}");
        assert!(response.contains(says), "{path}: {response}");
        assert!(
            elapsed >= deadline - Duration::from_millis(100),
            "{path}: answered before the deadline, after {elapsed:?}"
        );
    }

    // Many trickling clients at once: the app keeps answering the others.
    let mut trickling = Vec::new();
    for _ in 0..100 {
        trickling.push(trickle(&app, "/create/", "application/x-www-form-urlencoded").await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    for path in ["/healthz", "/", "/api/students"] {
        let response = client
            .get(app.url(path))
            .bearer_auth(&app.api_token)
            .send()
            .await
            .expect(path);
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn connections_past_the_cap_wait_for_a_free_one_and_the_body_deadline_frees_them() {
    // actix caps connections per worker, one worker per CPU: one each.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let deadline = Duration::from_secs(1);
    let app = spawn_app_with(|settings| {
        settings.body_timeout = deadline;
        settings.max_connections = workers;
    })
    .await;
    let mut trickling = Vec::new();
    for _ in 0..workers {
        trickling.push(trickle(&app, "/create/", "application/x-www-form-urlencoded").await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = Instant::now();
    let response = reqwest::Client::builder()
        .timeout(deadline + Duration::from_secs(4))
        .build()
        .unwrap()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("/healthz answers once a trickling client is cut off");
    assert_eq!(response.status(), StatusCode::OK);
    let waited = started.elapsed();
    assert!(
        waited >= deadline / 2,
        "every connection was taken, yet /healthz was answered at once ({waited:?}): no cap"
    );
}

#[tokio::test]
async fn a_page_read_is_answered_while_many_clients_search_at_once() {
    // Pool of 4: searches get one lane, page reads the other connections.
    let app = spawn_app_with(|settings| settings.database.pool_size = 4).await;
    seed::seed(&mut app.db(), 20_000).expect("seed");
    let searches: Vec<_> = (0..16)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url(&format!("/?q={}&page=400", search_for_everything()));
            tokio::spawn(async move { client.get(url).send().await.map(|r| r.status()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(app.get("/2/").await.status(), StatusCode::OK);
        let waited = started.elapsed();
        assert!(
            waited < Duration::from_millis(500),
            "a student's page took {waited:?} while others searched"
        );
    }
    for search in searches {
        let status = search.await.unwrap().expect("search answered");
        assert!(
            status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}"
        );
    }
}
