//! The JSON API: who may call it, every endpoint, every error status,
//! conditional requests, the duplicate-email race, and the OpenAPI document:
//! one file per topic, with the request helpers they share here.

mod auth;
mod concurrency;
mod conditional;
mod courses;
mod crud;
mod enrolments;
mod errors;
mod listing;
mod openapi;
mod validation;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
