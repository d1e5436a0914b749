//! The OpenAPI document.

use reqwest::StatusCode;

use super::get;
use crate::helpers::*;

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
