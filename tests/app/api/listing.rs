//! The list: pages, links, sorting, search, and its query parameters.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{create, get, is_rfc3339_utc, sammy_json, student};
use crate::helpers::*;

#[tokio::test]
async fn the_list_pages_with_links_and_takes_the_index_parameters() {
    let app = spawn_app().await;
    create(&app, &student("Ada", "Brown", "ada@example.com", 30)).await;
    create(&app, &student("Ben", "Castillo", "ben@example.com", 18)).await;
    create(&app, &sammy_json()).await;

    let first = get(&app, "/api/students?per_page=2").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["total"], 3);
    assert_eq!(first.body["page"], 1);
    assert_eq!(first.body["per_page"], 2);
    assert_eq!(first.body["prev"], Value::Null);
    assert_eq!(first.body["next"], "/api/students?per_page=2&page=2");
    let names: Vec<&str> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["lastname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Brown", "Castillo"], "ordered by name by default");
    assert!(is_rfc3339_utc(&first.body["items"][0]["created_at"]));

    let second = get(&app, first.body["next"].as_str().unwrap()).await;
    assert_eq!(second.body["page"], 2);
    assert_eq!(second.body["items"][0]["lastname"], "Shark");
    assert_eq!(second.body["next"], Value::Null);
    assert_eq!(second.body["prev"], "/api/students?per_page=2&page=1");

    let by_age = get(&app, "/api/students?sort=age&dir=desc&per_page=1").await;
    assert_eq!(by_age.body["items"][0]["firstname"], "Ada");
    assert_eq!(
        by_age.body["next"],
        "/api/students?sort=age&dir=desc&per_page=1&page=2"
    );

    let search = get(&app, "/api/students?q=shark").await;
    assert_eq!(search.body["total"], 1);
    assert_eq!(search.body["items"][0]["email"], "sammyshark@example.com");

    // A page past the end is the last page, as on the index.
    let past = get(&app, "/api/students?per_page=2&page=9").await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.body["page"], 2);

    let empty = get(&app, "/api/students?q=nobody").await;
    assert_eq!(empty.body["total"], 0);
    assert_eq!(empty.body["items"], json!([]));
    assert_eq!(
        (&empty.body["next"], &empty.body["prev"]),
        (&Value::Null, &Value::Null)
    );
}

#[tokio::test]
async fn list_parameters_that_are_not_the_described_values_are_a_400_naming_them() {
    let app = spawn_app().await;
    for (query, field) in [
        ("sort=shoe-size", "sort"),
        ("dir=sideways", "dir"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=99999999999", "page"),
        ("per_page=101", "per_page"),
        ("per_page=-5", "per_page"),
    ] {
        let reply = get(&app, &format!("/api/students?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.error(), "invalid query parameters");
        assert!(reply.field(field).is_some(), "{query}: {}", reply.body);
    }
}
