//! The index at size: pages, search and sorting.

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::helpers::*;

/// Inserts `n` students straight into the database, named so that their
/// order is known: "Student 0001" … with ages and cities cycling.
fn insert_students(app: &TestApp, n: usize) {
    let mut sql =
        String::from("INSERT INTO students (firstname, lastname, email, age, city) VALUES ");
    let rows: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                "('Student', 'L{i:04}', 'student{i}@example.com', {}, {})",
                if i % 10 == 0 {
                    "NULL".to_owned()
                } else {
                    (1 + i % 90).to_string()
                },
                if i % 7 == 0 {
                    "NULL".to_owned()
                } else {
                    format!("'City{}'", i % 13)
                },
            )
        })
        .collect();
    sql.push_str(&rows.join(","));
    app.db().batch_execute(&sql).unwrap();
}

fn names(html: &scraper::Html) -> Vec<String> {
    select(html, "tbody .cell-name a")
}

#[tokio::test]
async fn pages_hold_25_by_default_and_say_where_they_are() {
    let app = spawn_app().await;
    insert_students(&app, 100);
    let (_, html) = app.page("/").await;
    assert_eq!(names(&html).len(), 25);
    assert_eq!(
        text(&html, ".summary").as_deref(),
        Some("Showing 1–25 of 100 students")
    );
    let (_, html) = app.page("/?page=2").await;
    assert_eq!(
        text(&html, ".summary").as_deref(),
        Some("Showing 26–50 of 100 students")
    );
    assert_eq!(names(&html)[0], "Student L0026");
    assert_eq!(names(&html)[24], "Student L0050");
    assert_eq!(
        text(&html, ".pagination [aria-current=page]").as_deref(),
        Some("2")
    );
}

#[tokio::test]
async fn every_row_appears_on_exactly_one_page_in_every_order() {
    let app = spawn_app().await;
    insert_students(&app, 103);
    for sort in ["name", "email", "age", "city", "joined"] {
        for dir in ["asc", "desc"] {
            let mut seen = Vec::new();
            for page in 1..=11 {
                let (_, html) = app
                    .page(&format!("/?sort={sort}&dir={dir}&per_page=10&page={page}"))
                    .await;
                seen.extend(names(&html));
            }
            assert_eq!(seen.len(), 103, "{sort} {dir}");
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                unique.len(),
                103,
                "{sort} {dir}: a row repeated or went missing"
            );
        }
    }
}

#[tokio::test]
async fn the_last_page_read_from_the_end_matches_the_forward_order() {
    let app = spawn_app().await;
    insert_students(&app, 95);
    let (_, last) = app.page("/?per_page=10&page=10").await;
    assert_eq!(
        names(&last),
        (91..=95)
            .map(|i| format!("Student L{i:04}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        text(&last, ".summary").as_deref(),
        Some("Showing 91–95 of 95 students")
    );
    let (_, desc) = app.page("/?per_page=10&page=10&dir=desc").await;
    assert_eq!(
        names(&desc),
        (1..=5)
            .rev()
            .map(|i| format!("Student L{i:04}"))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_page_past_the_end_shows_the_last_page_and_says_so() {
    let app = spawn_app().await;
    insert_students(&app, 60);
    let (status, html) = app.page("/?page=99").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&html, ".notice").as_deref(),
        Some("There is no page 99; this is the last page, 3.")
    );
    assert_eq!(names(&html).len(), 10);
    assert_eq!(
        text(&html, ".pagination [aria-current=page]").as_deref(),
        Some("3")
    );
    // A search's page past its end too (it has no row to carry the count).
    app.create(&sammy()).await;
    let (status, html) = app.page("/?q=student&page=99").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&html, ".notice").as_deref(),
        Some("There is no page 99; this is the last page, 3.")
    );
    assert_eq!(
        text(&html, ".summary").as_deref(),
        Some("60 students match ‘student’, showing 51–60")
    );
    assert_eq!(names(&html).len(), 10);
}

#[tokio::test]
async fn malformed_page_and_size_values_fall_back_quietly() {
    let app = spawn_app().await;
    insert_students(&app, 130);
    for query in ["page=abc", "page=-2", "page=0", "page=", "page=1.5"] {
        let (status, html) = app.page(&format!("/?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(
            text(&html, ".summary").as_deref(),
            Some("Showing 1–25 of 130 students"),
            "{query}"
        );
    }
    let (_, html) = app.page("/?per_page=500").await;
    assert_eq!(names(&html).len(), 100, "per_page is capped at 100");
    let (_, html) = app.page("/?per_page=0").await;
    assert_eq!(names(&html).len(), 25);
    let (_, html) = app.page("/?per_page=7").await;
    assert_eq!(names(&html).len(), 7);
}

#[tokio::test]
async fn pagination_links_keep_the_search_sort_and_size() {
    let app = spawn_app().await;
    insert_students(&app, 100);
    let (_, html) = app
        .page("/?q=student&sort=age&dir=desc&per_page=10&page=3")
        .await;
    let next = attr(&html, ".pagination a[aria-label='Next page']", "href").unwrap();
    // Next also says where its page starts (see keyset.rs).
    assert!(
        next.starts_with("/?q=student&sort=age&dir=desc&per_page=10&page=4&after="),
        "{next}"
    );
    let last = attr(&html, ".pagination a[aria-label^='Last page']", "href").unwrap();
    assert_eq!(last, "/?q=student&sort=age&dir=desc&per_page=10&page=10");
    let first = attr(&html, ".pagination a[aria-label='First page']", "href").unwrap();
    assert_eq!(first, "/?q=student&sort=age&dir=desc&per_page=10");
    // The search box keeps the term and the hidden sort and size.
    assert_eq!(
        attr(&html, "input[name=q]", "value").as_deref(),
        Some("student")
    );
    assert_eq!(
        attr(&html, "form.search input[name=sort]", "value").as_deref(),
        Some("age")
    );
    assert_eq!(
        attr(&html, "form.search input[name=per_page]", "value").as_deref(),
        Some("10")
    );
}

#[tokio::test]
async fn search_matches_word_starts_in_names_emails_and_cities_ignoring_case_accents_and_spaces() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    app.create(&student("Carl", "White", "cw@school.example", "Porto"))
        .await;
    app.create(&student("Zoë", "Ng", "zoe@example.com", "São Paulo"))
        .await;
    // Long words: SQLite merges every indexed word beginning with a word
    // longer than its prefix indexes (three letters); PostgreSQL indexes
    // every prefix of every word.
    app.create(&student(
        "Bartholomew",
        "Featherstonehaugh",
        "bf@school.example",
        "Wolverhampton",
    ))
    .await;
    // Letters PostgreSQL's unaccent turns into punctuation (ʻ into ', ½
    // into 1/2): it splits such a word, in the document and in the search.
    app.create(&student("Keala", "Kahananui", "keala@hilo.test", "Hawaiʻi"))
        .await;
    app.create(&student("Ann", "Mill½", "ann@mill.test", "Leeds"))
        .await;
    for (term, expected) in [
        ("hawaiʻi", vec!["Keala Kahananui"]),
        ("hawai", vec!["Keala Kahananui"]),
        ("keala hawaiʻi", vec!["Keala Kahananui"]),
        ("mill½", vec!["Ann Mill½"]),
        ("ann mill", vec!["Ann Mill½"]),
        ("featherstonehaugh", vec!["Bartholomew Featherstonehaugh"]),
        ("featherston barth", vec!["Bartholomew Featherstonehaugh"]),
        ("wolverhampto", vec!["Bartholomew Featherstonehaugh"]),
        ("featherstonehaughs", vec![]),
        ("eatherstonehaugh", vec![]),
        ("bartholomex", vec![]),
        (
            "school",
            vec!["Carl White", "Bartholomew Featherstonehaugh"],
        ),
        ("shark", vec!["Sammy Shark"]),
        ("  SAMMY shark ", vec!["Sammy Shark"]),
        ("sam sha", vec!["Sammy Shark"]),
        ("shark sammy", vec!["Sammy Shark"]),
        ("sam lisbon", vec!["Sammy Shark"]),
        ("hark", vec![]),
        (
            "school.example",
            vec!["Carl White", "Bartholomew Featherstonehaugh"],
        ),
        ("PORTO", vec!["Carl White"]),
        ("são", vec!["Zoë Ng"]),
        ("sao paulo", vec!["Zoë Ng"]),
        ("zoë", vec!["Zoë Ng"]),
        ("ZOE", vec!["Zoë Ng"]),
        ("z", vec!["Zoë Ng"]),
        ("ng", vec!["Zoë Ng"]),
        (
            "example",
            vec![
                "Carl White",
                "Zoë Ng",
                "Sammy Shark",
                "Bartholomew Featherstonehaugh",
            ],
        ),
        ("nobody", vec![]),
    ] {
        let (status, html) = app.page(&format!("/?q={}", urlencode(term))).await;
        assert_eq!(status, StatusCode::OK);
        let mut found = names(&html);
        let mut expected: Vec<String> = expected.into_iter().map(String::from).collect();
        found.sort();
        expected.sort();
        assert_eq!(found, expected, "search {term:?}");
    }
}

/// Sammy's other fields with this name, email and city.
fn student(first: &str, last: &str, email: &str, city: &str) -> Vec<(&'static str, String)> {
    let named = with(with(sammy(), "firstname", first), "lastname", last);
    with(with(named, "email", email), "city", city)
}

fn urlencode(term: &str) -> String {
    url_escape(term)
}

fn url_escape(term: &str) -> String {
    term.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_search_term_is_echoed_as_text_with_the_count() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    let (_, html) = app.page("/?q=shark").await;
    assert_eq!(
        text(&html, ".summary").as_deref(),
        Some("1 student matches ‘shark’")
    );
    assert_eq!(
        attr(&html, "input[name=q]", "value").as_deref(),
        Some("shark")
    );
    assert_eq!(attr(&html, "a.button-link", "href").as_deref(), Some("/"));

    let response = app.get("/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script>alert"), "the term is escaped");
    let html = scraper::Html::parse_document(&body);
    assert_eq!(
        text(&html, ".empty-state h2").as_deref(),
        Some("No students match ‘<script>alert(1)</script>’")
    );
    assert_eq!(
        attr(&html, "input[name=q]", "value").as_deref(),
        Some("<script>alert(1)</script>")
    );
    assert_eq!(
        text(&html, ".empty-state a").as_deref(),
        Some("Clear the search")
    );
}

#[tokio::test]
async fn search_syntax_characters_are_plain_text() {
    let app = spawn_app().await;
    app.create(&with(sammy(), "lastname", "Shark \"100%\" _x_"))
        .await;
    for term in [
        "\"100%\"", "100%", "_x_", "%", "_", "\"", "*", "NEAR(", "a OR b", "\\",
    ] {
        let (status, _) = app.page(&format!("/?q={}", url_escape(term))).await;
        assert_eq!(status, StatusCode::OK, "{term}");
    }
    let (_, html) = app.page(&format!("/?q={}", url_escape("\"100%\""))).await;
    assert_eq!(names(&html).len(), 1);
    // `%` and `_` are no wildcards: a term with no letter or digit looks
    // nothing up (see stalling.rs).
    let (_, html) = app.page(&format!("/?q={}", url_escape("%"))).await;
    assert!(names(&html).is_empty(), "% is not a wildcard");
    let (_, html) = app.page(&format!("/?q={}", url_escape("_"))).await;
    assert!(names(&html).is_empty(), "_ is not a wildcard");
}

#[tokio::test]
async fn search_follows_edits_and_deletes() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let (_, form) = app.page(&format!("/{id}/edit/")).await;
    let version = field_value(&form, "version");
    app.post_form(
        &format!("/{id}/edit/"),
        &with(with(sammy(), "lastname", "Whale"), "version", &version),
    )
    .await;
    // The email still says "sammyshark", the name no longer does.
    let (_, html) = app.page("/?q=sammy%20shark").await;
    assert!(names(&html).is_empty());
    let (_, html) = app.page("/?q=whale").await;
    assert_eq!(names(&html), ["Sammy Whale"]);
    app.post_form(&format!("/{id}/delete/"), &[]).await;
    let (_, html) = app.page("/?q=whale").await;
    assert!(names(&html).is_empty());
}

#[tokio::test]
async fn sorting_by_each_column_in_both_directions() {
    let app = spawn_app().await;
    for (first, last, email, age, city) in [
        ("Ann", "Baker", "zed@example.com", "30", "Oslo"),
        ("Bob", "adams", "amy@example.com", "", "berlin"),
        ("Cy", "Cole", "Mid@example.com", "19", ""),
    ] {
        let fields = vec![
            ("firstname", first.to_owned()),
            ("lastname", last.to_owned()),
            ("email", email.to_owned()),
            ("age", age.to_owned()),
            ("city", city.to_owned()),
        ];
        app.create(&fields).await;
    }
    for (query, expected) in [
        ("", ["Bob adams", "Ann Baker", "Cy Cole"]),
        ("sort=name&dir=desc", ["Cy Cole", "Ann Baker", "Bob adams"]),
        ("sort=email", ["Bob adams", "Cy Cole", "Ann Baker"]),
        ("sort=email&dir=desc", ["Ann Baker", "Cy Cole", "Bob adams"]),
        ("sort=age", ["Bob adams", "Cy Cole", "Ann Baker"]),
        ("sort=age&dir=desc", ["Ann Baker", "Cy Cole", "Bob adams"]),
        ("sort=city", ["Cy Cole", "Bob adams", "Ann Baker"]),
        ("sort=joined", ["Ann Baker", "Bob adams", "Cy Cole"]),
        (
            "sort=joined&dir=desc",
            ["Cy Cole", "Bob adams", "Ann Baker"],
        ),
        // Unknown values fall back to the default order, without an error.
        ("sort=shoe&dir=up", ["Bob adams", "Ann Baker", "Cy Cole"]),
    ] {
        let (status, html) = app.page(&format!("/?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(names(&html), expected, "{query}");
    }
}

#[tokio::test]
async fn column_headers_sort_and_flip_direction() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    let (_, html) = app.page("/").await;
    assert_eq!(
        attr(&html, "th[aria-sort] a", "href").as_deref(),
        Some("/?sort=name&dir=desc")
    );
    assert_eq!(
        attr(&html, "th[aria-sort]", "aria-sort").as_deref(),
        Some("ascending")
    );
    let (_, html) = app.page("/?sort=age&dir=desc").await;
    assert_eq!(
        attr(&html, "th[aria-sort]", "aria-sort").as_deref(),
        Some("descending")
    );
    assert_eq!(text(&html, "th[aria-sort] a").as_deref(), Some("Age ▼"));
    assert_eq!(
        attr(&html, "th[aria-sort] a", "href").as_deref(),
        Some("/?sort=age&dir=asc")
    );
    let headers: Vec<String> = select(&html, "thead a");
    assert_eq!(headers, ["Name", "Email", "Age ▼", "City", "Joined"]);
}

#[tokio::test]
async fn the_total_follows_creates_deletes_and_bulk_inserts() {
    let app = spawn_app().await;
    let first = app.create(&sammy()).await;
    app.create(&with(sammy(), "email", "two@example.com")).await;
    insert_students(&app, 30);
    app.post_form(&format!("/{first}/delete/"), &[]).await;
    let (_, html) = app.page("/").await;
    assert_eq!(
        text(&html, ".summary").as_deref(),
        Some("Showing 1–25 of 31 students")
    );
    let counted = student_registry::students::queries::count(&mut app.db()).unwrap();
    assert_eq!(counted, 31);
}

/// PostgreSQL's `unaccent` turns some letters (ʻ ʼ ʹ ʽ ˈ ŉ) into an
/// apostrophe: a search with one must not break the full-text query.
#[tokio::test]
async fn searching_letters_that_unaccent_makes_apostrophes_finds_and_never_fails() {
    let app = spawn_app().await;
    app.create(&with(
        with(sammy(), "city", "Hawaiʻi"),
        "lastname",
        "Kovalʼ",
    ))
    .await;
    for (term, query) in [("Hawaiʻi", "Hawai%CA%BBi"), ("Kovalʼ", "Koval%CA%BC")] {
        let (status, html) = app.page(&format!("/?q={query}")).await;
        assert_eq!(status, StatusCode::OK, "{term}");
        assert_eq!(
            text(&html, ".summary").as_deref(),
            Some(format!("1 student matches \u{2018}{term}\u{2019}").as_str()),
            "{term}"
        );
        let api = app.get(&format!("/api/students?q={query}")).await;
        assert_eq!(api.status(), StatusCode::OK, "{term}");
    }
    for query in ["%CA%BC", "%CA%BB%CA%B9%CA%BD%CB%88%C5%89"] {
        assert_eq!(
            app.get(&format!("/?q={query}")).await.status(),
            StatusCode::OK
        );
        let api = app.get(&format!("/api/students?q={query}")).await;
        assert_eq!(api.status(), StatusCode::OK, "{query}");
    }
}

#[tokio::test]
async fn a_searchs_first_page_counts_every_match_in_every_order() {
    // The first page is read forward and the last from the end: both count
    // the same matches and together list them in order.
    let app = spawn_app().await;
    insert_students(&app, 60);
    app.create(&sammy()).await;
    for (sort, dir) in [
        ("name", "asc"),
        ("age", "desc"),
        ("city", "asc"),
        ("email", "desc"),
        ("joined", "asc"),
    ] {
        let (_, first) = app
            .page(&format!("/?q=student&sort={sort}&dir={dir}"))
            .await;
        assert_eq!(
            text(&first, ".summary").as_deref(),
            Some("60 students match ‘student’, showing 1–25"),
            "{sort} {dir}"
        );
        let last = attr(&first, ".pagination a[aria-label^='Last page']", "href").unwrap();
        assert!(
            last.starts_with("/?q=student") && last.ends_with("&page=3"),
            "{last}"
        );
        let (_, third) = app
            .page(&format!("/?q=student&sort={sort}&dir={dir}&page=3"))
            .await;
        assert_eq!(
            text(&third, ".summary").as_deref(),
            Some("60 students match ‘student’, showing 51–60")
        );
        // Every match once across the pages, in the order asked for.
        let (_, all) = app
            .page(&format!("/?q=student&sort={sort}&dir={dir}&per_page=100"))
            .await;
        assert_eq!(names(&all).len(), 60);
        assert_eq!(names(&first), names(&all)[..25]);
        assert_eq!(names(&third), names(&all)[50..]);
        let (_, second) = app
            .page(&format!("/?q=student&sort={sort}&dir={dir}&page=2"))
            .await;
        assert_eq!(names(&second), names(&all)[25..50]);
        // Pages that end exactly at the last match, and the one after.
        let (_, last_full) = app
            .page(&format!(
                "/?q=student&sort={sort}&dir={dir}&per_page=20&page=3"
            ))
            .await;
        assert_eq!(names(&last_full), names(&all)[40..]);
        let (_, past) = app
            .page(&format!(
                "/?q=student&sort={sort}&dir={dir}&per_page=20&page=4"
            ))
            .await;
        assert_eq!(names(&past), names(&all)[40..]);
    }
    // One match, and none.
    let (_, one) = app.page("/?q=shark").await;
    assert_eq!(
        text(&one, ".summary").as_deref(),
        Some("1 student matches ‘shark’")
    );
    assert_eq!(names(&one).len(), 1);
    let (status, none) = app.page("/?q=nobody").await;
    assert_eq!(status, StatusCode::OK);
    assert!(names(&none).is_empty());
    let (status, none_past) = app.page("/?q=nobody&page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(names(&none_past).is_empty());
    assert_eq!(
        text(&none_past, ".empty-state h2").as_deref(),
        Some("No students match ‘nobody’")
    );
    assert_eq!(
        text(&none, ".empty-state h2").as_deref(),
        Some("No students match ‘nobody’")
    );
}
