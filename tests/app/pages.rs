//! The pages a person uses, in the tutorial's order.

use reqwest::StatusCode;
use student_registry::students::Field;

use crate::helpers::*;

#[tokio::test]
async fn an_empty_registry_invites_you_to_add_the_first_student() {
    let app = spawn_app().await;
    let (status, html) = app.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&html, ".empty-state h2").as_deref(),
        Some("No students yet")
    );
    assert_eq!(
        attr(&html, ".empty-state a", "href").as_deref(),
        Some("/create/")
    );
}

#[tokio::test]
async fn the_index_shows_every_student_with_their_details_and_actions() {
    let app = spawn_app().await;
    let sammy_id = app.create(&sammy()).await;
    let carl = with(
        with(with(sammy(), "firstname", "Carl"), "lastname", "White"),
        "email",
        "carl@example.com",
    );
    let carl = with(with(with(carl, "age", ""), "city", ""), "bio", "");
    let carl_id = app.create(&carl).await;

    let (status, html) = app.page("/").await;
    assert_eq!(status, StatusCode::OK);
    let rows = select(&html, "table.students tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(
        // An editor's rows start with the bulk actions' checkbox label.
        rows[0].starts_with(&format!("Select Sammy Shark {sammy_id} Sammy Shark")),
        "{}",
        rows[0]
    );
    for expected in [
        "sammyshark@example.com",
        "20 years old",
        "Lisbon",
        "Marine biology student",
    ] {
        assert!(
            rows[0].contains(expected),
            "{expected} missing from {}",
            rows[0]
        );
    }
    // The joined date is readable, not a raw timestamp.
    let joined = text(&html, "tbody time").unwrap();
    assert!(
        joined.split(' ').count() == 3 && !joined.contains(':'),
        "{joined}"
    );
    assert_eq!(
        attr(&html, "tbody .cell-name a", "href"),
        Some(format!("/{sammy_id}/"))
    );
    assert_eq!(
        attr(&html, "tbody .actions a", "href"),
        Some(format!("/{sammy_id}/edit/"))
    );
    // Each row's Delete button submits the page's one delete form (with the
    // CSRF token) to its own student's address.
    let delete = "tbody .actions button[form=row-delete]";
    assert_eq!(
        attr(&html, delete, "formaction"),
        Some(format!("/{sammy_id}/delete/"))
    );
    assert_eq!(
        attr(&html, delete, "data-confirm").as_deref(),
        Some("Delete Sammy Shark?")
    );
    assert_eq!(
        select(&html, "main input[name=csrf_token]").len(),
        1,
        "one token for every row"
    );
    // Clicked without JavaScript: only that student goes.
    let response = app
        .click(&html, &format!("button[formaction='/{carl_id}/delete/']"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let left: Vec<i32> = app.students().iter().map(|student| student.id).collect();
    assert_eq!(left, [sammy_id]);
    // Unknown age and city read sensibly.
    assert!(rows[1].starts_with(&format!("Select Carl White {carl_id} Carl White")));
    assert!(
        rows[1].contains("Age not given") && rows[1].contains("Not given"),
        "{}",
        rows[1]
    );
}

#[tokio::test]
async fn a_students_page_shows_them_with_edit_and_delete() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let (status, html) = app.page(&format!("/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&html, "h1").as_deref(), Some("Sammy Shark"));
    assert_eq!(
        text(&html, "title").as_deref(),
        Some("Sammy Shark · Student Registry")
    );
    let details = text(&html, ".student-detail").unwrap();
    let id_label = format!("#{id}");
    for expected in [
        id_label.as_str(),
        "sammyshark@example.com",
        "20 years old",
        "Lisbon",
        "Marine biology student",
    ] {
        assert!(
            details.contains(expected),
            "{expected} missing from {details}"
        );
    }
    assert_eq!(
        attr(&html, ".actions a", "href"),
        Some(format!("/{id}/edit/"))
    );
    assert_eq!(
        attr(&html, ".actions form", "method").as_deref(),
        Some("post")
    );
}

#[tokio::test]
async fn the_create_form_labels_every_field() {
    let app = spawn_app().await;
    let (status, html) = app.page("/create/").await;
    assert_eq!(status, StatusCode::OK);
    for name in ["firstname", "lastname", "email", "age", "bio", "city"] {
        let id = attr(&html, &format!("[name={name}]"), "id")
            .unwrap_or_else(|| panic!("no field {name}"));
        assert!(
            text(&html, &format!("label[for={id}]")).is_some(),
            "field {name} has no <label for>"
        );
    }
    assert_eq!(
        attr(&html, "form.student-form", "action").as_deref(),
        Some("/create/")
    );
}

/// The student and course forms render their inputs with one shared
/// partial; each field keeps its own kind of input.
#[tokio::test]
async fn the_record_forms_star_required_fields_and_ask_for_numbers_as_numbers() {
    let app = spawn_app().await;
    struct RecordForm {
        path: &'static str,
        required: &'static [&'static str],
        optional: &'static [&'static str],
        numeric: &'static [&'static str],
        multiline: &'static str,
    }
    let forms = [
        RecordForm {
            path: "/create/",
            required: &["firstname", "lastname", "email"],
            optional: &["age", "city"],
            numeric: &["age"],
            multiline: "bio",
        },
        RecordForm {
            path: "/courses/create/",
            required: &["code", "title"],
            optional: &["credits", "capacity"],
            numeric: &["credits", "capacity"],
            multiline: "description",
        },
    ];
    for RecordForm {
        path,
        required,
        optional,
        numeric,
        multiline,
    } in forms
    {
        let (status, html) = app.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for name in required {
            let input = format!("input[name={name}]");
            assert_eq!(
                attr(&html, &input, "required").as_deref(),
                Some(""),
                "{path} {name}"
            );
            assert_eq!(
                text(&html, &format!("label[for={name}] .required")).as_deref(),
                Some("*"),
                "{path} {name}"
            );
        }
        for name in optional {
            let input = format!("input[name={name}]");
            assert_eq!(attr(&html, &input, "required"), None, "{path} {name}");
            assert_eq!(text(&html, &format!("label[for={name}] .required")), None);
            assert_eq!(
                attr(&html, &input, "aria-describedby"),
                Some(format!("{name}-hint")),
                "{path} {name}"
            );
        }
        for name in numeric {
            let input = format!("input[name={name}]");
            // Text, so nothing typed is silently dropped; digits on phones.
            assert_eq!(attr(&html, &input, "type").as_deref(), Some("text"));
            assert_eq!(attr(&html, &input, "inputmode").as_deref(), Some("numeric"));
        }
        assert!(
            text(&html, &format!("textarea[name={multiline}]")).is_some(),
            "{path} {multiline} is a textarea"
        );
    }
    let (_, html) = app.page("/create/").await;
    assert_eq!(
        attr(&html, "input[name=email]", "type").as_deref(),
        Some("email")
    );
    assert_eq!(
        attr(&html, "input[name=firstname]", "autocomplete").as_deref(),
        Some("given-name")
    );
}

#[tokio::test]
async fn creating_a_student_redirects_to_their_page_with_a_flash_message_shown_once() {
    let app = spawn_app().await;
    let response = app.post_form("/create/", &sammy()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();

    let (status, html) = app.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&html, ".flash").as_deref(),
        Some("Student Sammy Shark added")
    );
    assert_eq!(attr(&html, ".flashes", "role").as_deref(), Some("status"));
    // Shown once: a reload does not repeat it.
    let (_, html) = app.page(&location).await;
    assert_eq!(text(&html, ".flash"), None);

    let stored = app.students();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].email, "sammyshark@example.com");
    assert_eq!(stored[0].city.as_deref(), Some("Lisbon"));
    assert_eq!(stored[0].age, Some(20));
}

#[tokio::test]
async fn the_edit_form_round_trips_every_value_exactly() {
    let app = spawn_app().await;
    let tricky = [
        ("firstname", "Zoë  \"Zee\""),
        ("lastname", "O'Brien & <Sons>"),
        ("email", "zoe.obrien@example.com"),
        ("age", "31"),
        (
            "bio",
            "  Two  spaces, \"quotes\", & ampersands, <b>tags</b>\nand a second line — ünïcödé 🦈",
        ),
        ("city", "São Paulo"),
    ];
    let fields: Vec<(&str, String)> = tricky.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let id = app.create(&fields).await;

    let (status, html) = app.page(&format!("/{id}/edit/")).await;
    assert_eq!(status, StatusCode::OK);
    for (name, value) in tricky {
        assert_eq!(field_value(&html, name), value, "field {name}");
    }
    // Submitting the untouched form changes nothing.
    let before = app.student(id).unwrap();
    let mut resubmitted: Vec<(&str, String)> = tricky
        .iter()
        .map(|(k, _)| (*k, field_value(&html, k)))
        .collect();
    resubmitted.push(("version", field_value(&html, "version")));
    let response = app.post_form(&format!("/{id}/edit/"), &resubmitted).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after = app.student(id).unwrap();
    assert_eq!(
        (
            after.firstname,
            after.lastname,
            after.email,
            after.age,
            after.bio,
            after.city
        ),
        (
            before.firstname,
            before.lastname,
            before.email,
            before.age,
            before.bio,
            before.city
        )
    );
    assert_eq!(after.version, before.version + 1);
}

#[tokio::test]
async fn editing_a_student_saves_redirects_and_flashes() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let (_, html) = app.page(&format!("/{id}/edit/")).await;
    assert_eq!(text(&html, "h1").as_deref(), Some("Edit Sammy Shark"));
    let version = field_value(&html, "version");
    let fields = with(
        with(with(sammy(), "city", "Porto"), "age", ""),
        "version",
        &version,
    );
    let response = app.post_form(&format!("/{id}/edit/"), &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], format!("/{id}/").as_str());

    let (_, html) = app.page(&format!("/{id}/")).await;
    assert_eq!(
        text(&html, ".flash").as_deref(),
        Some("Student Sammy Shark updated")
    );
    let student = app.student(id).unwrap();
    assert_eq!(student.city.as_deref(), Some("Porto"));
    assert_eq!(
        student.age, None,
        "a cleared field is cleared in the database"
    );
    assert!(student.updated_at >= student.created_at);
}

#[tokio::test]
async fn deleting_a_student_removes_them_and_says_so() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let keep = app
        .create(&with(sammy(), "email", "other@example.com"))
        .await;

    let response = app.post_form(&format!("/{id}/delete/"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/");
    let (_, html) = app.page("/").await;
    assert_eq!(
        text(&html, ".flash").as_deref(),
        Some("Student Sammy Shark deleted")
    );
    assert!(app.student(id).is_none());
    assert!(app.student(keep).is_some());
    assert_eq!(
        app.get(&format!("/{id}/")).await.status(),
        StatusCode::NOT_FOUND
    );
    // Deleting again: there is nothing left to delete.
    let again = app.post_form(&format!("/{id}/delete/"), &[]).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_only_answers_post() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let response = app.get(&format!("/{id}/delete/")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Method not allowed")
    );
    assert!(app.student(id).is_some());
}

#[tokio::test]
async fn urls_without_their_trailing_slash_redirect() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    for (path, target) in [
        ("/create", "/create/".to_owned()),
        (&format!("/{id}") as &str, format!("/{id}/")),
        (&format!("/{id}/edit") as &str, format!("/{id}/edit/")),
        ("/create?x=1", "/create/?x=1".to_owned()),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY, "{path}");
        assert_eq!(response.headers()["location"], target.as_str(), "{path}");
    }
    // A form posted to the slash-less URL keeps its method.
    let response = app.client.post(app.url("/create")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    // Nothing to redirect to: a plain 404.
    assert_eq!(app.get("/nowhere").await.status(), StatusCode::NOT_FOUND);
}

/// A distinctive value for each field, as typed and as the student's page
/// shows it. The match has no catch-all: a new field does not compile here
/// until it has a value, and then the test fails until the pages show it.
fn every_field_typed_and_shown(field: Field) -> (&'static str, &'static str) {
    match field {
        Field::Firstname => ("Quintessa", "Quintessa"),
        Field::Lastname => ("Vanderbilt-Okafor", "Vanderbilt-Okafor"),
        Field::Email => ("quintessa.vo@example.org", "quintessa.vo@example.org"),
        Field::Age => ("37", "37 years old"),
        Field::Bio => ("Studies tidal ecosystems", "Studies tidal ecosystems"),
        Field::City => ("Reykjavík", "Reykjavík"),
    }
}

#[tokio::test]
async fn every_field_is_in_the_forms_and_on_the_students_page() {
    let app = spawn_app().await;
    let fields: Vec<(&str, String)> = Field::ALL
        .into_iter()
        .map(|field| (field.name(), every_field_typed_and_shown(field).0.into()))
        .collect();
    let id = app.create(&fields).await;

    let (_, page) = app.page(&format!("/{id}/")).await;
    let shown = text(&page, ".student-detail").expect("the student's details");
    let (_, form) = app.page(&format!("/{id}/edit/")).await;
    for field in Field::ALL {
        let (typed, expected) = every_field_typed_and_shown(field);
        assert!(
            shown.contains(expected),
            "{field:?} ({expected:?}) is not on the student's page: {shown:?}"
        );
        assert_eq!(
            field_value(&form, field.name()),
            typed,
            "{field:?} in the edit form"
        );
    }
}
