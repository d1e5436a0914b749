//! Many people saving at once: every valid write lands, the database's unique
//! index settles duplicate emails, and nobody sees an error page.

use futures::future::join_all;
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_creates_all_land_and_a_racing_duplicate_is_refused_cleanly() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    let mut forms: Vec<Vec<(&str, String)>> = (0..50)
        .map(|n| {
            let fields = with(sammy(), "email", &format!("student{n}@example.com"));
            with(
                with(fields, "firstname", &format!("Student{n}")),
                "csrf_token",
                &token,
            )
        })
        .collect();
    // The same address as student 7, in other letters' case, racing with it.
    forms.push(with(
        with(sammy(), "email", "STUDENT7@example.com"),
        "csrf_token",
        &token,
    ));

    let responses = join_all(forms.iter().map(|form| {
        let request = app.client.post(app.url("/create/")).form(form);
        async move {
            let response = request.send().await.expect("POST");
            let status = response.status();
            (status, response.text().await.unwrap_or_default())
        }
    }))
    .await;

    let created = responses
        .iter()
        .filter(|(status, _)| *status == StatusCode::SEE_OTHER)
        .count();
    let refused: Vec<_> = responses
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNPROCESSABLE_ENTITY)
        .collect();
    assert!(
        responses
            .iter()
            .all(|(status, _)| !status.is_server_error()),
        "no 5xx"
    );
    assert_eq!(created, 50);
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0]
            .1
            .contains("Another student already uses this email address")
    );

    let stored = app.students();
    assert_eq!(stored.len(), 50);
    let mut emails: Vec<String> = stored.iter().map(|s| s.email.to_lowercase()).collect();
    emails.sort();
    emails.dedup();
    assert_eq!(emails.len(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_and_deletes_never_see_a_locked_database() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(
            app.create(&with(sammy(), "email", &format!("s{n}@example.com")))
                .await,
        );
    }
    let token = app.csrf_token().await;
    let requests = ids.iter().enumerate().flat_map(|(n, id)| {
        let edit = with(
            with(
                with(sammy(), "email", &format!("s{n}@example.com")),
                "version",
                "1",
            ),
            "csrf_token",
            &token,
        );
        let delete = vec![("csrf_token", token.clone())];
        [
            app.client
                .post(app.url(&format!("/{id}/edit/")))
                .form(&edit),
            app.client
                .post(app.url(&format!("/{id}/edit/")))
                .form(&with(edit.clone(), "city", "Other")),
            app.client
                .post(app.url(&format!("/{id}/delete/")))
                .form(&delete),
            app.client.get(app.url("/")),
        ]
    });
    let statuses: Vec<StatusCode> =
        join_all(requests.map(|request| async move { request.send().await.unwrap().status() }))
            .await;
    for status in &statuses {
        assert!(
            [
                StatusCode::OK,
                StatusCode::SEE_OTHER,
                StatusCode::CONFLICT,
                StatusCode::NOT_FOUND
            ]
            .contains(status),
            "unexpected {status}"
        );
    }
    assert!(app.students().is_empty(), "every delete landed");
}
