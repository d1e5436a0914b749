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
    assert_eq!(
        statuses("/api/students", "get"),
        ["200", "400", "401", "503"]
    );
    assert_eq!(
        statuses("/api/students", "post"),
        [
            "201", "400", "401", "403", "409", "413", "415", "422", "503"
        ]
    );
    assert_eq!(
        statuses("/api/students/{id}", "get"),
        ["200", "304", "400", "401", "404"]
    );
    for method in ["put", "patch"] {
        assert_eq!(
            statuses("/api/students/{id}", method),
            [
                "200", "400", "401", "403", "404", "409", "412", "413", "415", "422", "503"
            ]
        );
    }
    assert_eq!(
        statuses("/api/students/{id}", "delete"),
        ["204", "400", "401", "403", "404", "412", "503"]
    );
    assert_eq!(
        statuses("/api/courses", "post"),
        [
            "201", "400", "401", "403", "409", "413", "415", "422", "503"
        ]
    );
    assert_eq!(
        statuses("/api/courses/{id}", "delete"),
        ["204", "400", "401", "403", "404", "409", "412", "503"]
    );
    assert_eq!(
        statuses("/api/courses/{id}/enrolments", "post"),
        [
            "201", "400", "401", "403", "404", "409", "413", "415", "422", "503"
        ]
    );
    assert_eq!(
        statuses("/api/courses/{id}/enrolments", "get"),
        ["200", "400", "401", "404"]
    );
    assert_eq!(
        statuses("/api/students/{id}/enrolments", "get"),
        ["200", "401", "404"]
    );
    assert_eq!(
        statuses("/api/enrolments/{id}", "patch"),
        [
            "200", "400", "401", "403", "404", "409", "413", "415", "422", "503"
        ]
    );
    assert_eq!(doc["paths"].as_object().unwrap().len(), 7);
    for schema in [
        "Student",
        "StudentInput",
        "StudentPatch",
        "StudentPage",
        "ErrorBody",
        "Course",
        "CourseInput",
        "CoursePatch",
        "CoursePage",
        "Enrolment",
        "ClassMember",
        "StudentEnrolment",
    ] {
        assert!(
            doc["components"]["schemas"][schema]["example"].is_object(),
            "{schema} has an example"
        );
    }
    // Every operation needs a bearer token, and says how it is refused.
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        serde_json::json!({
            "type": "http",
            "scheme": "bearer",
            "description": doc["components"]["securitySchemes"]["bearer"]["description"],
        })
    );
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}]));
    let challenge = &doc["paths"]["/api/students"]["get"]["responses"]["401"]["headers"];
    assert!(challenge["WWW-Authenticate"].is_object(), "{challenge}");
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
