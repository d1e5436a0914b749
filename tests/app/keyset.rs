//! The index's page links seek: Next, Previous and the nearby numbered pages
//! carry where their page starts (`after=`/`before=`), so following them
//! visits every student once, in order, even while rows come and go.

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;
use scraper::Html;
use student_registry::pagination::TokenWriter;

use crate::helpers::*;

/// One inserted student, as the tests expect it sorted.
#[derive(Debug, Clone)]
struct Row {
    id: i32,
    name: String,
    lastname: String,
    email: String,
    age: Option<i32>,
    city: Option<String>,
    /// Days after the first join day: many students share one.
    joined_day: u32,
}

/// Inserts `n` students with every sort key mixed: names out of id order,
/// emails whose text order is not their number's, NULL ages and cities
/// among the others, and five join days shared by many. Returns them in id
/// order (the table starts empty, so ids are 1..=n).
fn insert_students(app: &TestApp, n: usize) -> Vec<Row> {
    let rows: Vec<Row> = (1..=n)
        .map(|i| {
            // Lastnames in an order unrelated to the id, some equal (the
            // firstname then decides, then the id).
            let lastname = format!("L{:03}", (i * 37) % 41);
            Row {
                id: i as i32,
                name: format!("F{:03} {lastname}", i % 4),
                lastname,
                email: format!("s{i}@example.com"),
                age: (i % 6 != 0).then_some((20 + i % 9) as i32),
                city: (i % 5 != 0)
                    .then(|| format!("{}ity{}", if i % 2 == 0 { 'C' } else { 'c' }, i % 4)),
                joined_day: (i % 5) as u32,
            }
        })
        .collect();
    let values: Vec<String> = rows
        .iter()
        .map(|row| {
            let firstname = row.name.split(' ').next().unwrap();
            format!(
                "('{firstname}', '{}', '{}', {}, {}, '2026-0{}-01 10:00:00', '2026-01-01 10:00:00')",
                row.lastname,
                row.email,
                row.age.map_or("NULL".to_owned(), |age| age.to_string()),
                row.city
                    .as_ref()
                    .map_or("NULL".to_owned(), |city| format!("'{city}'")),
                row.joined_day + 1,
            )
        })
        .collect();
    app.db()
        .batch_execute(&format!(
            "INSERT INTO students (firstname, lastname, email, age, city, created_at, updated_at) \
             VALUES {}",
            values.join(",")
        ))
        .unwrap();
    rows
}

/// The names in the order the index sorts `rows` by `sort` and `dir`.
fn sorted(rows: &[Row], sort: &str, dir: &str) -> Vec<String> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| {
        let key = |row: &Row| -> (String, i64, i32) {
            let lower = |text: &str| text.to_lowercase();
            match sort {
                "name" => (
                    format!("{}\u{0}{}", lower(&row.lastname), lower(&row.name)),
                    0,
                    row.id,
                ),
                "email" => (lower(&row.email), 0, 0),
                "age" => (String::new(), i64::from(row.age.unwrap_or(0)), row.id),
                "city" => (lower(row.city.as_deref().unwrap_or("")), 0, row.id),
                "joined" => (String::new(), i64::from(row.joined_day), row.id),
                _ => unreachable!(),
            }
        };
        key(a).cmp(&key(b))
    });
    let names = rows.into_iter().map(|row| row.name);
    match dir {
        "asc" => names.collect(),
        _ => names.rev().collect(),
    }
}

fn names(html: &Html) -> Vec<String> {
    select(html, "tbody .cell-name a")
}

fn link(html: &Html, label: &str) -> Option<String> {
    attr(
        html,
        &format!(".pagination a[aria-label='{label}']"),
        "href",
    )
}

/// Follows the link labelled `label` from `start` until there is none,
/// returning each page's rows and the links followed.
async fn follow(app: &TestApp, start: &str, label: &str) -> (Vec<Vec<String>>, Vec<String>) {
    let (status, html) = app.page(start).await;
    assert_eq!(status, StatusCode::OK, "{start}");
    let mut pages = vec![names(&html)];
    let mut hrefs = Vec::new();
    let mut current = html;
    while let Some(href) = link(&current, label) {
        assert!(hrefs.len() < 100, "{label} never ends");
        let (status, html) = app.page(&href).await;
        assert_eq!(status, StatusCode::OK, "{href}");
        pages.push(names(&html));
        hrefs.push(href);
        current = html;
    }
    (pages, hrefs)
}

#[tokio::test]
async fn next_and_previous_visit_every_student_once_in_every_order() {
    let app = spawn_app().await;
    let rows = insert_students(&app, 83);
    for sort in ["name", "email", "age", "city", "joined"] {
        for dir in ["asc", "desc"] {
            let expected = sorted(&rows, sort, dir);
            let start = format!("/?sort={sort}&dir={dir}&per_page=10");
            let (pages, hrefs) = follow(&app, &start, "Next page").await;
            assert_eq!(pages.len(), 9, "{sort} {dir}");
            assert_eq!(pages.concat(), expected, "{sort} {dir}: forward");
            for (n, href) in hrefs.iter().enumerate() {
                assert!(
                    href.contains(&format!("&page={}&after=", n + 2)),
                    "{sort} {dir}: {href}"
                );
            }
            // Back from the last page, reached by its link.
            let (_, first) = app.page(&start).await;
            let last = link(&first, "Last page, 9").unwrap();
            assert!(
                last.ends_with("per_page=10&page=9"),
                "Last is counted: {last}"
            );
            let (pages, hrefs) = follow(&app, &last, "Previous page").await;
            let backward: Vec<String> = pages.into_iter().rev().flatten().collect();
            assert_eq!(backward, expected, "{sort} {dir}: backward");
            // Page 1 is counted: it starts the list, whatever came since.
            let (to_first, seeking) = hrefs.split_last().unwrap();
            assert!(
                to_first.ends_with("per_page=10") && !to_first.contains("&page="),
                "{to_first}"
            );
            assert!(
                seeking.iter().all(|href| href.contains("before=")),
                "{hrefs:?}"
            );
        }
    }
}

#[tokio::test]
async fn numbered_links_near_the_current_page_seek_too() {
    let app = spawn_app().await;
    let rows = insert_students(&app, 83);
    let expected = sorted(&rows, "age", "desc");
    let (_, page5) = app.page("/?sort=age&dir=desc&per_page=10&page=5").await;
    assert_eq!(names(&page5), expected[40..50]);
    for (page, seeks) in [
        (1, false),
        (3, true),
        (4, true),
        (6, true),
        (7, true),
        (9, false),
    ] {
        let href = link(&page5, &format!("Page {page}")).unwrap();
        assert_eq!(
            href.contains("after=") || href.contains("before="),
            seeks,
            "page {page}: {href}"
        );
        let (_, html) = app.page(&href).await;
        let from = (page - 1) * 10;
        assert_eq!(
            names(&html),
            expected[from..(from + 10).min(83)],
            "page {page}: {href}"
        );
        assert_eq!(
            text(&html, ".pagination [aria-current=page]"),
            Some(page.to_string()),
            "{href}"
        );
    }
    // First and Last are counted, and so is every link to page 1: a cursor
    // there would hide rows added before it, with no First link to reach
    // them.
    assert_eq!(
        link(&page5, "First page").as_deref(),
        Some("/?sort=age&dir=desc&per_page=10")
    );
    let (_, page2) = app.page("/?sort=age&dir=desc&per_page=10&page=2").await;
    assert_eq!(
        link(&page2, "First page").as_deref(),
        Some("/?sort=age&dir=desc&per_page=10")
    );
    for label in ["Previous page", "Page 1"] {
        assert_eq!(
            link(&page2, label).as_deref(),
            Some("/?sort=age&dir=desc&per_page=10"),
            "{label}"
        );
    }
    let (_, page8) = app.page("/?sort=age&dir=desc&per_page=10&page=8").await;
    assert_eq!(
        link(&page8, "Last page, 9").as_deref(),
        Some("/?sort=age&dir=desc&per_page=10&page=9")
    );
}

#[tokio::test]
async fn a_search_pages_by_cursor_too() {
    let app = spawn_app().await;
    let rows = insert_students(&app, 83);
    // "city1" matches the cities City1 and city1, a quarter of those given.
    let matching: Vec<Row> = rows
        .iter()
        .filter(|row| {
            row.city
                .as_deref()
                .is_some_and(|city| city.eq_ignore_ascii_case("city1"))
        })
        .cloned()
        .collect();
    assert!(matching.len() > 10, "{}", matching.len());
    for (sort, dir) in [("name", "desc"), ("city", "desc"), ("age", "asc")] {
        let start = format!("/?q=city1&sort={sort}&dir={dir}&per_page=4");
        let (pages, hrefs) = follow(&app, &start, "Next page").await;
        assert_eq!(pages.concat(), sorted(&matching, sort, dir), "{sort} {dir}");
        assert!(hrefs.iter().all(|href| {
            href.starts_with(&format!("/?q=city1&sort={sort}&dir={dir}&per_page=4&page="))
                && href.contains("&after=")
        }));
    }
}

#[tokio::test]
async fn rows_added_or_removed_before_the_page_neither_repeat_nor_skip_a_row() {
    let app = spawn_app().await;
    let rows = insert_students(&app, 50);
    let expected = sorted(&rows, "name", "asc");
    let id_of = |name: &str| rows.iter().find(|row| row.name == name).unwrap().id;

    let (_, page1) = app.page("/?per_page=10").await;
    let (_, page2) = app.page(&link(&page1, "Next page").unwrap()).await;
    assert_eq!(names(&page2), expected[10..20]);
    let next = link(&page2, "Next page").unwrap();
    let previous = link(&page2, "Previous page").unwrap();

    // Between two clicks: a row of page 1 goes, and two rows come that
    // sort before everything.
    let gone = id_of(&expected[3]);
    assert_eq!(
        app.post_form(&format!("/{gone}/delete/"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.db()
        .batch_execute(
            "INSERT INTO students (firstname, lastname, email) VALUES \
             ('Aa', 'A000', 'new1@example.com'), ('Ab', 'A000', 'new2@example.com')",
        )
        .unwrap();
    // Next starts right after page 2's last row; with OFFSET it would
    // repeat two rows.
    let (_, page3) = app.page(&next).await;
    assert_eq!(names(&page3), expected[20..30]);
    let (_, counted) = app.page("/?per_page=10&page=3").await;
    assert_ne!(names(&counted), expected[20..30], "OFFSET shifts");
    // Previous to page 1 is the list's start as it is now, new rows first.
    let (_, back) = app.page(&previous).await;
    let mut start = vec!["Aa A000".to_owned(), "Ab A000".to_owned()];
    start.extend(
        expected[..10]
            .iter()
            .filter(|name| **name != expected[3])
            .cloned(),
    );
    assert_eq!(names(&back), start[..10]);
    // Previous from page 3 ends right before page 3's first row, though
    // another row has come before it.
    let previous = link(&page3, "Previous page").unwrap();
    assert!(previous.contains("&page=2&before="), "{previous}");
    app.db()
        .batch_execute(
            "INSERT INTO students (firstname, lastname, email) VALUES \
             ('Ac', 'A000', 'new3@example.com')",
        )
        .unwrap();
    let (_, back) = app.page(&previous).await;
    assert_eq!(names(&back), expected[10..20]);

    // The row a link starts after is deleted: the position still holds.
    let cursor_row = id_of(&expected[29]);
    let next = link(&page3, "Next page").unwrap();
    assert_eq!(
        app.post_form(&format!("/{cursor_row}/delete/"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, page4) = app.page(&next).await;
    assert_eq!(names(&page4), expected[30..40]);
}

#[tokio::test]
async fn a_link_past_every_remaining_row_shows_the_page_as_counted() {
    let app = spawn_app().await;
    let rows = insert_students(&app, 30);
    let expected = sorted(&rows, "name", "asc");
    let (_, page2) = app.page("/?per_page=10&page=2").await;
    let next = link(&page2, "Next page").unwrap();
    app.db()
        .batch_execute(&format!(
            "DELETE FROM students WHERE id IN ({})",
            expected[20..]
                .iter()
                .map(|name| rows
                    .iter()
                    .find(|row| &row.name == name)
                    .unwrap()
                    .id
                    .to_string())
                .collect::<Vec<_>>()
                .join(",")
        ))
        .unwrap();
    let (status, html) = app.page(&next).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&html), expected[10..20], "the last page there is");
}

#[tokio::test]
async fn a_link_with_nothing_beyond_its_cursor_shows_the_nearest_end() {
    let app = spawn_app().await;
    let rows = insert_students(&app, 40);
    let expected = sorted(&rows, "name", "asc");
    let id_of = |name: &str| rows.iter().find(|row| row.name == name).unwrap().id;
    let (_, page1) = app.page("/?per_page=10").await;
    let (_, page2) = app.page(&link(&page1, "Next page").unwrap()).await;
    let (_, page3) = app.page(&link(&page2, "Next page").unwrap()).await;
    assert_eq!(names(&page3), expected[20..30]);
    let previous = link(&page3, "Previous page").unwrap();
    assert!(previous.contains("before="), "{previous}");

    // Everything before page 3 goes: page 2 still exists by count, but it
    // would be rows after page 3's start. Previous shows the first page.
    let gone: Vec<String> = expected[..20]
        .iter()
        .map(|name| id_of(name).to_string())
        .collect();
    app.db()
        .batch_execute(&format!(
            "DELETE FROM students WHERE id IN ({})",
            gone.join(",")
        ))
        .unwrap();
    let (status, html) = app.page(&previous).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&html), expected[20..30]);
    assert_eq!(
        text(&html, ".pagination [aria-current=page]").as_deref(),
        Some("1")
    );

    // Now 20 rows; the last page (2) read by its cursor has a Next link once
    // rows come before it, but nothing follows its last row: the last page
    // as counted, said so, rather than an empty page or page 3 by OFFSET.
    let (_, first) = app.page("/?per_page=10").await;
    let (_, last) = app.page(&link(&first, "Next page").unwrap()).await;
    assert_eq!(names(&last), expected[30..40]);
    app.db()
        .batch_execute(
            "INSERT INTO students (firstname, lastname, email) VALUES \
             ('Aa', 'A000', 'new1@example.com'), ('Ab', 'A000', 'new2@example.com')",
        )
        .unwrap();
    let (_, last) = app.page(&link(&first, "Next page").unwrap()).await;
    let next = link(&last, "Next page").expect("22 rows make a page 3");
    assert!(next.contains("after="), "{next}");
    let (status, html) = app.page(&next).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&html), expected[38..40]);
    assert_eq!(
        text(&html, ".pagination [aria-current=page]").as_deref(),
        Some("3")
    );
    let notice = text(&html, ".notice").unwrap_or_default();
    assert!(
        notice.contains("No students follow the ones you saw"),
        "{notice}"
    );
}

#[tokio::test]
async fn tampered_cursors_fall_back_to_the_page_number() {
    let app = spawn_app().await;
    let rows = insert_students(&app, 60);
    let expected = sorted(&rows, "name", "asc");
    let (_, page2) = app.page("/?per_page=10&page=2").await;
    let next = link(&page2, "Next page").unwrap();
    let token = next.split("after=").nth(1).unwrap().to_owned();
    let (_, age_page) = app.page("/?sort=age&per_page=10&page=2").await;
    let age_token = link(&age_page, "Next page")
        .unwrap()
        .split("after=")
        .nth(1)
        .unwrap()
        .to_owned();
    for tampered in [
        format!("after={}", &token[..token.len() - 2]),
        format!("after={token}xx"),
        format!("after={token}%3D%3D"),
        format!("after={age_token}"),
        format!("after={token}&dir=desc"),
        format!("before={age_token}"),
        "after=%00%FF".to_owned(),
        format!("after={}", "A".repeat(3000)),
        "before=".to_owned(),
        // Well formed, but with a NUL that no stored name holds (and that
        // PostgreSQL refuses in a query).
        format!(
            "after={}",
            TokenWriter::default()
                .byte(0)
                .int(0)
                .text("L\0")
                .text("F")
                .int(5)
                .finish()
        ),
    ] {
        let (status, html) = app.page(&format!("/?per_page=10&page=3&{tampered}")).await;
        assert_eq!(status, StatusCode::OK, "{tampered}");
        let counted = if tampered.contains("dir=desc") {
            sorted(&rows, "name", "desc")[20..30].to_vec()
        } else {
            expected[20..30].to_vec()
        };
        assert_eq!(names(&html), counted, "{tampered}");
    }
    // A join time PostgreSQL cannot hold (before 4713 BC) is no position.
    let joined = sorted(&rows, "joined", "asc");
    for seconds in [-200_000_000_000, i64::MAX] {
        let token = TokenWriter::default()
            .byte(8)
            .int(0)
            .int(seconds)
            .int(0)
            .int(1)
            .finish();
        let (status, html) = app
            .page(&format!("/?sort=joined&per_page=10&page=3&after={token}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{seconds}");
        assert_eq!(names(&html), joined[20..30], "{seconds}");
    }
    // Any byte changed may still read as some position: never an error.
    for at in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'z' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        let (status, _) = app
            .page(&format!("/?per_page=10&page=3&after={changed}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
    }
}

#[tokio::test]
async fn page_links_keep_the_search_course_sort_and_size() {
    let app = spawn_app().await;
    let rows = insert_students(&app, 40);
    let actor = student_registry::audit::Actor::command_line();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let mut draft = student_registry::courses::seed::generated_course(1);
    draft.capacity = String::new();
    let course = student_registry::courses::queries::create(
        &mut app.db(),
        &actor,
        &draft.validate().unwrap(),
    )
    .unwrap();
    // Every other student, and some of them match the search.
    let enrolled: Vec<Row> = rows.iter().filter(|row| row.id % 2 == 1).cloned().collect();
    for row in &enrolled {
        student_registry::courses::queries::enrol(&mut app.db(), &actor, course.id, row.id, today)
            .unwrap();
    }
    let matching: Vec<Row> = enrolled
        .iter()
        .filter(|row| row.city.is_some())
        .cloned()
        .collect();
    let prefix = format!("/?q=city&course={}&sort=age&dir=desc&per_page=3", course.id);
    let (pages, hrefs) = follow(&app, &prefix, "Next page").await;
    assert_eq!(pages.concat(), sorted(&matching, "age", "desc"));
    for (n, href) in hrefs.iter().enumerate() {
        assert!(
            href.starts_with(&format!("{prefix}&page={}&after=", n + 2)),
            "{href}"
        );
    }
    let (_, last) = app.page(hrefs.last().unwrap()).await;
    let previous = link(&last, "Previous page").unwrap();
    assert!(
        previous.starts_with(&format!("{prefix}&page={}&before=", hrefs.len())),
        "{previous}"
    );
    assert_eq!(link(&last, "First page").as_deref(), Some(prefix.as_str()));
    // The bulk actions come back to this very page, cursor and all.
    assert_eq!(
        attr(&last, "form#bulk input[name=back]", "value").as_deref(),
        Some(hrefs.last().unwrap().as_str())
    );
    // Sorting by another column starts again at its first page.
    let header = attr(&last, "th a", "href").unwrap();
    assert!(
        !header.contains("after=") && !header.contains("&page="),
        "{header}"
    );
}
