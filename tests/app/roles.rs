//! Every page and form against every role: signed out, viewer, editor and
//! admin. Refusals are checked on the server (a request forged past the
//! hidden buttons gets the same 403), and a refused form changes nothing.

use reqwest::StatusCode;
use scraper::Html;
use student_registry::accounts::Role;
use student_registry::audit::Actor;
use student_registry::courses::{self, CourseDraft};

use crate::helpers::*;

/// What a role gets: the page, the styled 403, or the sign-in page.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    Shown,
    Refused,
    SignIn,
}
use Answer::*;

fn answer_of(status: StatusCode, location: Option<&str>) -> Answer {
    match status {
        StatusCode::FORBIDDEN => Refused,
        StatusCode::SEE_OTHER if location.is_some_and(|l| l.starts_with("/login/")) => SignIn,
        _ => Shown,
    }
}

struct Visitor {
    name: &'static str,
    client: reqwest::Client,
    /// A CSRF token of its own session (none signed out).
    token: String,
}

async fn visitors(app: &TestApp) -> Vec<Visitor> {
    let mut visitors = vec![Visitor {
        name: "signed out",
        client: client(),
        token: String::new(),
    }];
    for (name, role) in [
        ("viewer", Some(Role::Viewer)),
        ("editor", Some(Role::Editor)),
        ("admin", None),
    ] {
        let client = match role {
            Some(role) => app.client_as(role).await,
            None => app.client.clone(),
        };
        let page = client.get(app.url("/account/")).send().await.unwrap();
        let html = Html::parse_document(&page.text().await.unwrap());
        let token = attr(&html, "input[name=csrf_token]", "value").expect("a token");
        visitors.push(Visitor {
            name,
            client,
            token,
        });
    }
    visitors
}

#[tokio::test]
async fn each_role_reaches_exactly_its_pages() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let admin = app.staff.id;
    let course = a_course(&app);
    let visitors = visitors(&app).await;
    // Signed out, viewer, editor, admin.
    let table: Vec<(String, [Answer; 4])> = vec![
        ("/".into(), [SignIn, Shown, Shown, Shown]),
        (format!("/{id}/"), [SignIn, Shown, Shown, Shown]),
        ("/create/".into(), [SignIn, Refused, Shown, Shown]),
        (format!("/{id}/edit/"), [SignIn, Refused, Shown, Shown]),
        ("/account/".into(), [SignIn, Shown, Shown, Shown]),
        ("/account/tokens/".into(), [SignIn, Shown, Shown, Shown]),
        ("/activity/".into(), [SignIn, Refused, Refused, Shown]),
        ("/users/".into(), [SignIn, Refused, Refused, Shown]),
        ("/users/new/".into(), [SignIn, Refused, Refused, Shown]),
        (
            format!("/users/{admin}/"),
            [SignIn, Refused, Refused, Shown],
        ),
        ("/courses/".into(), [SignIn, Shown, Shown, Shown]),
        (format!("/courses/{course}/"), [SignIn, Shown, Shown, Shown]),
        ("/courses/create/".into(), [SignIn, Refused, Shown, Shown]),
        (
            format!("/courses/{course}/edit/"),
            [SignIn, Refused, Shown, Shown],
        ),
    ];
    for (path, expected) in &table {
        for (visitor, expected) in visitors.iter().zip(expected) {
            let response = visitor.client.get(app.url(path)).send().await.unwrap();
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            let got = answer_of(response.status(), location.as_deref());
            assert_eq!(got, *expected, "GET {path} as {}", visitor.name);
            if got == Shown {
                assert_eq!(
                    response.status(),
                    StatusCode::OK,
                    "GET {path} as {}",
                    visitor.name
                );
            }
        }
    }
}

/// A form's path, its fields, and what each visitor gets.
type FormCase = (String, Vec<(&'static str, &'static str)>, [Answer; 4]);

#[tokio::test]
async fn each_role_may_send_exactly_its_forms() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let before = app.students();
    let course = a_course(&app);
    let visitors = visitors(&app).await;
    // Forms that would change nothing even where allowed (nothing valid to
    // store, or no such record), so that only the role decides the answer.
    let missing = 999_999;
    let table: Vec<FormCase> = vec![
        (
            "/create/".into(),
            vec![("firstname", "")],
            [SignIn, Refused, Shown, Shown],
        ),
        (
            format!("/{id}/edit/"),
            vec![("firstname", ""), ("version", "1")],
            [SignIn, Refused, Shown, Shown],
        ),
        (
            format!("/{missing}/delete/"),
            vec![],
            [SignIn, Refused, Shown, Shown],
        ),
        (
            "/users/new/".into(),
            vec![("email", "")],
            [SignIn, Refused, Refused, Shown],
        ),
        (
            format!("/users/{missing}/role/"),
            vec![("role", "viewer")],
            [SignIn, Refused, Refused, Shown],
        ),
        (
            format!("/users/{missing}/deactivate/"),
            vec![],
            [SignIn, Refused, Refused, Shown],
        ),
        (
            format!("/users/{missing}/activate/"),
            vec![],
            [SignIn, Refused, Refused, Shown],
        ),
        (
            format!("/users/{missing}/password/"),
            vec![("password", "x")],
            [SignIn, Refused, Refused, Shown],
        ),
        (
            "/account/password/".into(),
            vec![("current_password", "wrong"), ("new_password", "")],
            [SignIn, Shown, Shown, Shown],
        ),
        (
            "/account/tokens/".into(),
            vec![("name", ""), ("scope", "read")],
            [SignIn, Shown, Shown, Shown],
        ),
        (
            format!("/account/tokens/{missing}/revoke/"),
            vec![],
            [SignIn, Shown, Shown, Shown],
        ),
        (
            "/courses/create/".into(),
            vec![("code", "")],
            [SignIn, Refused, Shown, Shown],
        ),
        (
            format!("/courses/{course}/edit/"),
            vec![("code", ""), ("version", "1")],
            [SignIn, Refused, Shown, Shown],
        ),
        (
            format!("/courses/{missing}/delete/"),
            vec![],
            [SignIn, Refused, Shown, Shown],
        ),
        (
            "/enrolments/".into(),
            vec![("course_id", "999999"), ("student_id", "1")],
            [SignIn, Refused, Shown, Shown],
        ),
        (
            format!("/enrolments/{missing}/status/"),
            vec![("status", "withdrawn")],
            [SignIn, Refused, Shown, Shown],
        ),
    ];
    for (path, fields, expected) in &table {
        for (visitor, expected) in visitors.iter().zip(expected) {
            let mut body = fields.clone();
            body.push(("csrf_token", &visitor.token));
            let response = visitor
                .client
                .post(app.url(path))
                .form(&body)
                .send()
                .await
                .unwrap();
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            let status = response.status();
            let got = answer_of(status, location.as_deref());
            assert_eq!(got, *expected, "POST {path} as {}: {status}", visitor.name);
            if *expected == Refused {
                let html = Html::parse_document(&response.text().await.unwrap());
                assert_eq!(
                    text(&html, "h1").as_deref(),
                    Some("Not allowed"),
                    "POST {path}"
                );
            }
        }
    }
    assert_eq!(app.students(), before, "no form changed a student");
    let stored = courses::queries::find(&mut app.db(), course)
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 1, "no form changed the course");
}

/// A course to visit, stored directly; its id.
fn a_course(app: &TestApp) -> i32 {
    let draft = CourseDraft {
        code: "BIO-101".into(),
        title: "Marine biology".into(),
        ..CourseDraft::default()
    };
    let details = draft.validate().unwrap();
    courses::queries::create(&mut app.db(), &Actor::command_line(), &details)
        .unwrap()
        .id
}
