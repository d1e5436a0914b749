//! The JSON API: every endpoint, every error status, conditional requests,
//! the duplicate-email race, and the OpenAPI document.

use diesel::connection::SimpleConnection;
use futures::future::join_all;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use student_registry::students::validation::{BODY_LIMIT, EMAIL_TAKEN};

use crate::helpers::*;

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts the one error shape and returns the message.
    fn error(&self) -> &str {
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{:?}",
            self.headers
        );
        assert!(self.body["fields"].is_object(), "{}", self.body);
        assert_eq!(self.body.as_object().unwrap().len(), 2, "{}", self.body);
        self.body["error"].as_str().expect("an error message")
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.body["fields"][name].as_str()
    }
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = app.client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(body);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "{path} answered {status} with non-JSON: {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(app: &TestApp, path: &str) -> Reply {
    call(app, Method::GET, path, None, &[]).await
}

async fn post(app: &TestApp, body: &Value) -> Reply {
    call(app, Method::POST, "/api/students", Some(body), &[]).await
}

/// Sends raw bytes with a content type.
async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut request = app.client.request(method, app.url(path)).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("request");
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.json().await.expect("a JSON body"),
    }
}

fn sammy_json() -> Value {
    json!({
        "firstname": "Sammy",
        "lastname": "Shark",
        "email": "sammyshark@example.com",
        "age": 20,
        "bio": "Marine biology student",
        "city": "Lisbon"
    })
}

fn student(first: &str, last: &str, email: &str, age: i64) -> Value {
    json!({"firstname": first, "lastname": last, "email": email, "age": age})
}

/// Creates a student through the API and returns its id.
async fn create(app: &TestApp, body: &Value) -> i64 {
    let reply = post(app, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_i64().unwrap()
}

fn is_rfc3339_utc(value: &Value) -> bool {
    value.as_str().is_some_and(|text| {
        text.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(text).is_ok()
    })
}

#[tokio::test]
async fn create_answers_201_with_location_etag_and_the_stored_record() {
    let app = spawn_app().await;
    let reply = post(&app, &sammy_json()).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/students/{id}").as_str())
    );
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert!(
        reply
            .header("set-cookie")
            .is_none_or(|c| !c.contains("registry_session"))
    );
    let body = reply.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "age",
            "bio",
            "city",
            "created_at",
            "email",
            "firstname",
            "id",
            "lastname",
            "updated_at",
            "version"
        ]
    );
    assert_eq!(reply.body["firstname"], "Sammy");
    assert_eq!(reply.body["age"], 20);
    assert_eq!(reply.body["city"], "Lisbon");
    assert_eq!(reply.body["version"], 1);
    assert!(is_rfc3339_utc(&reply.body["created_at"]), "{}", reply.body);
    assert!(is_rfc3339_utc(&reply.body["updated_at"]), "{}", reply.body);

    // The same record, from the API and in the database the pages use.
    let shown = get(&app, &format!("/api/students/{id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body, reply.body);
    assert_eq!(shown.header("etag"), Some("\"1\""));
    let stored = app.student(id as i32).unwrap();
    assert_eq!(stored.email, "sammyshark@example.com");
    let (status, html) = app.page(&format!("/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&html, "h1").as_deref(), Some("Sammy Shark"));
}

#[tokio::test]
async fn values_are_normalised_as_the_forms_do() {
    let app = spawn_app().await;
    let reply = post(
        &app,
        &json!({
            "firstname": "  Sammy ",
            "lastname": "Shark",
            "email": " sammyshark@example.com ",
            "age": 20.0,
            "bio": "  line one\r\nline two",
            "city": "   "
        }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["firstname"], "Sammy");
    assert_eq!(reply.body["email"], "sammyshark@example.com");
    assert_eq!(reply.body["age"], 20);
    assert_eq!(reply.body["bio"], "  line one\nline two");
    assert_eq!(reply.body["city"], Value::Null);
}

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

#[tokio::test]
async fn put_replaces_every_field_and_bumps_the_version() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    let replacement = json!({
        "firstname": "Samantha",
        "lastname": "Shark",
        "email": "samantha@example.com"
    });
    let reply = call(&app, Method::PUT, &path, Some(&replacement), &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("etag"), Some("\"2\""));
    assert_eq!(reply.body["firstname"], "Samantha");
    assert_eq!(reply.body["version"], 2);
    // Left out: cleared, as a full replacement.
    assert_eq!(
        (&reply.body["age"], &reply.body["bio"], &reply.body["city"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    let stored = app.student(id as i32).unwrap();
    assert_eq!((stored.age, stored.city), (None, None));

    // Replacing with what is stored changes nothing, not even the version.
    let again = call(&app, Method::PUT, &path, Some(&replacement), &[]).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["version"], 2);
    assert_eq!(again.body["updated_at"], reply.body["updated_at"]);
}

#[tokio::test]
async fn patch_changes_only_the_given_fields_and_null_clears() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");

    let reply = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"city": "Porto"})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["city"], "Porto");
    assert_eq!(reply.body["bio"], "Marine biology student");
    assert_eq!(reply.body["age"], 20);
    assert_eq!(reply.body["version"], 2);
    assert_eq!(reply.header("etag"), Some("\"2\""));

    let cleared = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": null, "age": null})),
        &[],
    )
    .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(
        (&cleared.body["bio"], &cleared.body["age"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(cleared.body["city"], "Porto");
    let stored = app.student(id as i32).unwrap();
    assert_eq!((stored.bio, stored.age), (None, None));

    // The JSON merge patch media type is accepted too.
    let merge = send_raw(
        &app,
        Method::PATCH,
        &path,
        Some("application/merge-patch+json"),
        br#"{"lastname": "Sharkey"}"#.to_vec(),
    )
    .await;
    assert_eq!(merge.status, StatusCode::OK);
    assert_eq!(merge.body["lastname"], "Sharkey");

    // Nothing given, nothing changed.
    let empty = call(&app, Method::PATCH, &path, Some(&json!({})), &[]).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["version"], merge.body["version"]);

    // A required field cannot be cleared.
    let blank = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"firstname": null})),
        &[],
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.field("firstname"), Some("First name is required"));
}

#[tokio::test]
async fn delete_answers_204_and_the_student_is_gone() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    let reply = call(&app, Method::DELETE, &path, None, &[]).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.body, Value::Null);
    assert!(app.student(id as i32).is_none());
    assert_eq!(get(&app, &path).await.status, StatusCode::NOT_FOUND);
    let again = call(&app, Method::DELETE, &path, None, &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.error(), "no student has this id");
}

#[tokio::test]
async fn invalid_fields_are_a_422_with_the_pages_messages_and_nothing_is_stored() {
    let app = spawn_app().await;
    let reply = post(
        &app,
        &json!({
            "firstname": "   ",
            "email": "not-an-email",
            "age": 151,
            "city": "c".repeat(81),
            "bio": "a\u{0}b"
        }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error(), "validation failed");
    assert_eq!(reply.field("firstname"), Some("First name is required"));
    assert_eq!(reply.field("lastname"), Some("Last name is required"));
    assert_eq!(
        reply.field("email"),
        Some("Enter an email address like name@example.com")
    );
    assert_eq!(
        reply.field("age"),
        Some("Age must be a whole number from 1 to 150")
    );
    assert_eq!(
        reply.field("city"),
        Some("City must be at most 80 characters (it has 81)")
    );
    assert_eq!(
        reply.field("bio"),
        Some("Bio must not contain NUL characters")
    );
    assert!(app.students().is_empty());

    // PUT checks the same rules, after finding the student.
    let id = create(&app, &sammy_json()).await;
    let put = call(
        &app,
        Method::PUT,
        &format!("/api/students/{id}"),
        Some(&json!({"firstname": "\u{0}Sammy", "lastname": "Shark", "email": "s@example.com", "age": 0})),
        &[],
    )
    .await;
    assert_eq!(put.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        put.field("firstname"),
        Some("First name must not contain NUL characters")
    );
    assert_eq!(
        put.field("age"),
        Some("Age must be a whole number from 1 to 150")
    );
    assert_eq!(app.student(id as i32).unwrap().version, 1);
}

#[tokio::test]
async fn a_taken_email_is_a_409_whatever_its_case() {
    let app = spawn_app().await;
    create(&app, &sammy_json()).await;
    let mut duplicate = sammy_json();
    duplicate["email"] = json!("SammyShark@Example.com");
    let reply = post(&app, &duplicate).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.field("email"), Some(EMAIL_TAKEN));
    reply.error();

    let other = create(&app, &student("Carl", "White", "carl@example.com", 22)).await;
    let path = format!("/api/students/{other}");
    let patch = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"email": "sammyshark@example.com"})),
        &[],
    )
    .await;
    assert_eq!(patch.status, StatusCode::CONFLICT);
    assert_eq!(patch.field("email"), Some(EMAIL_TAKEN));
    let put = call(&app, Method::PUT, &path, Some(&sammy_json()), &[]).await;
    assert_eq!(put.status, StatusCode::CONFLICT);
    assert_eq!(app.student(other as i32).unwrap().email, "carl@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_with_one_email_yield_exactly_one_201_and_the_rest_409() {
    let app = spawn_app().await;
    let bodies: Vec<Value> = (0..20)
        .map(|n| {
            let mut body = student(&format!("Racer{n}"), "Shark", "", 20);
            // The same address in different letter cases.
            body["email"] = json!(if n % 2 == 0 {
                "racer@example.com"
            } else {
                "RACER@example.com"
            });
            body
        })
        .collect();
    let replies = join_all(bodies.iter().map(|body| post(&app, body))).await;
    let statuses: Vec<StatusCode> = replies.iter().map(|r| r.status).collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .collect();
    assert_eq!(created, 1, "{statuses:?}");
    assert_eq!(conflicts.len(), 19, "{statuses:?}");
    assert!(
        conflicts
            .iter()
            .all(|r| r.field("email") == Some(EMAIL_TAKEN))
    );
    assert_eq!(app.students().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_different_fields_are_all_kept() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    let patches = [
        json!({"city": "Porto"}),
        json!({"bio": "Changed"}),
        json!({"age": 33}),
        json!({"lastname": "Sharkey"}),
    ];
    let replies = join_all(
        patches
            .iter()
            .map(|patch| call(&app, Method::PATCH, &path, Some(patch), &[])),
    )
    .await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    let stored = app.student(id as i32).unwrap();
    assert_eq!(stored.city.as_deref(), Some("Porto"));
    assert_eq!(stored.bio.as_deref(), Some("Changed"));
    assert_eq!(stored.age, Some(33));
    assert_eq!(stored.lastname, "Sharkey");
    assert_eq!(stored.version, 5);
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_a_400_and_nothing_is_stored() {
    let app = spawn_app().await;
    let mut wrong_type = sammy_json();
    wrong_type["age"] = json!("twenty");
    let mut fractional = sammy_json();
    fractional["age"] = json!(20.5);
    let mut unknown = sammy_json();
    unknown["frist_name"] = json!("Sammy");
    let mut number_name = sammy_json();
    number_name["firstname"] = json!(5);
    for (case, body) in [
        ("not JSON", b"{\"firstname\": ".to_vec()),
        ("empty", Vec::new()),
        ("an array", b"[]".to_vec()),
        (
            "an array of values",
            br#"["Sammy", "Shark", "s@example.com"]"#.to_vec(),
        ),
        ("a wrong type", wrong_type.to_string().into_bytes()),
        ("a fraction", fractional.to_string().into_bytes()),
        ("an unknown field", unknown.to_string().into_bytes()),
        ("a number for text", number_name.to_string().into_bytes()),
        ("invalid UTF-8", b"{\"firstname\": \"\xff\"}".to_vec()),
    ] {
        let reply = send_raw(
            &app,
            Method::POST,
            "/api/students",
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{case}: {}",
            reply.body
        );
        reply.error();
        let named = match case {
            "a wrong type" | "a fraction" => Some("age"),
            "an unknown field" => Some("frist_name"),
            "a number for text" => Some("firstname"),
            _ => None,
        };
        if let Some(field) = named {
            assert!(reply.field(field).is_some(), "{case}: {}", reply.body);
        }
    }
    assert!(app.students().is_empty());

    let id = create(&app, &sammy_json()).await;
    let reply = send_raw(
        &app,
        Method::PATCH,
        &format!("/api/students/{id}"),
        Some("application/json"),
        br#"{"age": "twenty"}"#.to_vec(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    reply.error();
    assert!(
        reply.field("age").unwrap().contains("twenty"),
        "{}",
        reply.body
    );
    // Not an empty patch: not a patch at all.
    let array = call(
        &app,
        Method::PATCH,
        &format!("/api/students/{id}"),
        Some(&json!([])),
        &[],
    )
    .await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.student(id as i32).unwrap().version, 1);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_so_a_form_cannot_forge_a_call() {
    let app = spawn_app().await;
    let body = sammy_json().to_string().into_bytes();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let reply = send_raw(
            &app,
            Method::POST,
            "/api/students",
            content_type,
            body.clone(),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        reply.error();
    }
    assert!(app.students().is_empty());
    let with_charset = send_raw(
        &app,
        Method::POST,
        "/api/students",
        Some("application/json; charset=utf-8"),
        body,
    )
    .await;
    assert_eq!(with_charset.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_body_over_the_body_limit_is_a_413() {
    let app = spawn_app().await;
    let mut big = sammy_json();
    big["bio"] = json!("x".repeat(BODY_LIMIT));
    let reply = post(&app, &big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    reply.error();
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn unknown_ids_and_urls_are_a_json_404() {
    let app = spawn_app().await;
    for path in [
        "/api/students/999",
        "/api/students/0",
        "/api/students/abc",
        "/api/students/99999999999999999999",
        "/api/students/1.0",
    ] {
        let reply = get(&app, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.error(), "no student has this id", "{path}");
    }
    let patch = call(
        &app,
        Method::PATCH,
        "/api/students/999",
        Some(&json!({})),
        &[],
    )
    .await;
    assert_eq!(patch.status, StatusCode::NOT_FOUND);
    let put = call(
        &app,
        Method::PUT,
        "/api/students/999",
        Some(&sammy_json()),
        &[],
    )
    .await;
    assert_eq!(put.status, StatusCode::NOT_FOUND);
    assert!(app.students().is_empty(), "PUT does not create");
    for path in ["/api", "/api/", "/api/nothing", "/api/students/1/extra"] {
        let reply = get(&app, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        reply.error();
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        ("DELETE", "/api/students", "GET, HEAD, POST, OPTIONS"),
        ("PUT", "/api/students", "GET, HEAD, POST, OPTIONS"),
        (
            "POST",
            "/api/students/1",
            "GET, HEAD, PUT, PATCH, DELETE, OPTIONS",
        ),
        (
            "TRACE",
            "/api/students/1",
            "GET, HEAD, PUT, PATCH, DELETE, OPTIONS",
        ),
        ("POST", "/api/openapi.json", "GET, HEAD, OPTIONS"),
    ] {
        let reply = call(&app, method.parse().unwrap(), path, None, &[]).await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
        reply.error();
    }
    let options = call(&app, Method::OPTIONS, "/api/students", None, &[]).await;
    assert_eq!(options.status, StatusCode::NO_CONTENT);
    assert_eq!(options.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    let head = app
        .client
        .head(app.url("/api/students"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_stale_if_match_is_a_412_and_changes_nothing() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    let etag = get(&app, &path).await.header("etag").unwrap().to_owned();
    assert_eq!(etag, "\"1\"");

    // The first editor, on the version they read, succeeds.
    let first = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"city": "Porto"})),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("etag"), Some("\"2\""));

    // The second, on the same old version, is refused, whatever the method.
    let put = call(
        &app,
        Method::PUT,
        &path,
        Some(&sammy_json()),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(put.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(put.header("etag"), Some("\"2\""), "the current version");
    put.error();
    let patch = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": "Stale"})),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(patch.status, StatusCode::PRECONDITION_FAILED);
    let delete = call(&app, Method::DELETE, &path, None, &[("if-match", &etag)]).await;
    assert_eq!(delete.status, StatusCode::PRECONDITION_FAILED);
    // A weak tag never matches If-Match's strong comparison.
    let weak = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": "Weak"})),
        &[("if-match", "W/\"2\"")],
    )
    .await;
    assert_eq!(weak.status, StatusCode::PRECONDITION_FAILED);

    let stored = app.student(id as i32).unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.city.as_deref(), Some("Porto"));
    assert_eq!(stored.bio.as_deref(), Some("Marine biology student"));

    // Any of a list matches; `*` matches whatever is stored.
    let listed = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": "Listed"})),
        &[("if-match", "\"1\", \"2\"")],
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    let star = call(
        &app,
        Method::PUT,
        &path,
        Some(&sammy_json()),
        &[("if-match", "*")],
    )
    .await;
    assert_eq!(star.status, StatusCode::OK);
    let malformed = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({})),
        &[("if-match", "4")],
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    malformed.error();

    let current = star.header("etag").unwrap().to_owned();
    let deleted = call(&app, Method::DELETE, &path, None, &[("if-match", &current)]).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn if_none_match_with_the_current_etag_is_a_304() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    for tag in ["\"1\"", "W/\"1\"", "\"7\", \"1\"", "*"] {
        let response = app
            .client
            .get(app.url(&path))
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{tag}");
        assert_eq!(response.headers()["etag"], "\"1\"");
    }
    let changed = call(
        &app,
        Method::GET,
        &path,
        None,
        &[("if-none-match", "\"0\"")],
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body["id"], id);
}

#[tokio::test]
async fn a_server_failure_is_a_json_500_that_reveals_nothing() {
    let app = spawn_app().await;
    create(&app, &sammy_json()).await;
    app.db().batch_execute("DROP TABLE students").unwrap();
    let reply = get(&app, "/api/students").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let message = reply.error().to_owned();
    for secret in ["students", "table", "diesel", "sqlite", "SQL"] {
        assert!(!message.contains(secret), "{message}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let app = spawn_app().await;
    let reply = get(&app, "/api/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let statuses = |path: &str, method: &str| -> Vec<String> {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is described");
        let mut statuses: Vec<String> = operation["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        statuses.sort();
        statuses
    };
    assert_eq!(statuses("/api/students", "get"), ["200", "400", "503"]);
    assert_eq!(
        statuses("/api/students", "post"),
        ["201", "400", "409", "413", "415", "422", "503"]
    );
    assert_eq!(
        statuses("/api/students/{id}", "get"),
        ["200", "304", "400", "404"]
    );
    for method in ["put", "patch"] {
        assert_eq!(
            statuses("/api/students/{id}", method),
            [
                "200", "400", "404", "409", "412", "413", "415", "422", "503"
            ]
        );
    }
    assert_eq!(
        statuses("/api/students/{id}", "delete"),
        ["204", "400", "404", "412", "503"]
    );
    assert_eq!(doc["paths"].as_object().unwrap().len(), 2);
    for schema in [
        "Student",
        "StudentInput",
        "StudentPatch",
        "StudentPage",
        "ErrorBody",
    ] {
        assert!(
            doc["components"]["schemas"][schema]["example"].is_object(),
            "{schema} has an example"
        );
    }
    // Every error response is the one error shape, with an example.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') {
                    let content = &response["content"]["application/json"];
                    assert_eq!(
                        content["schema"]["$ref"], "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                    assert!(content["example"].is_object(), "{method} {path} {status}");
                }
            }
        }
    }
}
