//! A bare server for one page: Student Registry's index, `?per_page=N` rows
//! in name order, written with the application's own row markup between the
//! head and the tail of a page it served (read from a file). Each worker
//! thread reads with its own SQLite connection, on the worker itself.
//!
//! Usage: bare-index DATABASE PORT PAGE_FILE
//! PAGE_FILE holds one index page of the application; its rows (between
//! `<tbody>` and `</tbody>`) are replaced by the rows read here.

use std::cell::RefCell;
use std::fmt::Write;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use rusqlite::{Connection, OpenFlags};

struct Page {
    head: String,
    tail: String,
    database: String,
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

const LISTING: &str = "SELECT id, firstname, lastname, email, age, bio, city, created_at, current_courses \
     FROM students ORDER BY lower(lastname), lower(firstname), id LIMIT ?1";

fn per_page(req: &HttpRequest) -> i64 {
    req.query_string()
        .split('&')
        .find_map(|pair| pair.strip_prefix("per_page="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(25)
        .clamp(1, 100)
}

async fn index(req: HttpRequest, page: web::Data<Page>) -> HttpResponse {
    let rows = per_page(&req);
    let mut body = String::with_capacity(page.head.len() + page.tail.len() + 1300 * rows as usize);
    body.push_str(&page.head);
    let result = CONNECTION.with_borrow_mut(|slot| {
        if slot.is_none() {
            *slot = Some(Connection::open_with_flags(
                &page.database,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?);
        }
        let conn = slot.as_ref().expect("opened above");
        let mut statement = conn.prepare_cached(LISTING)?;
        let mut found = statement.query([rows])?;
        while let Some(row) = found.next()? {
            write_row(&mut body, row)?;
        }
        Ok::<_, rusqlite::Error>(())
    });
    if let Err(error) = result {
        return HttpResponse::InternalServerError().body(error.to_string());
    }
    body.push_str(&page.tail);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// One row, as templates/students/index.html writes it for an editor.
fn write_row(out: &mut String, row: &rusqlite::Row<'_>) -> rusqlite::Result<()> {
    let id: i32 = row.get(0)?;
    let full_name = format!(
        "{} {}",
        row.get_ref(1)?.as_str()?,
        row.get_ref(2)?.as_str()?
    );
    let email = row.get_ref(3)?.as_str()?;
    let age: Option<i32> = row.get(4)?;
    let bio = row.get_ref(5)?.as_str_or_null()?;
    let city = row.get_ref(6)?.as_str_or_null()?;
    let created_at = row.get_ref(7)?.as_str()?;
    let courses: i32 = row.get(8)?;
    let name = Escaped(&full_name);
    let _ = write!(
        out,
        "\n      <tr>\n        <td class=\"cell-select\"><label><input type=\"checkbox\" name=\"student_id\" value=\"{id}\" form=\"bulk\"><span class=\"visually-hidden\">Select {name}</span></label></td>\n        <td class=\"cell-id\" data-label=\"#\">{id}</td>\n        <td class=\"cell-name\" data-label=\"Name\"><div>\n          <a href=\"/{id}/\">{name}</a>"
    );
    if let Some(bio) = bio {
        let _ = write!(
            out,
            "\n          <span class=\"excerpt\">{}</span>",
            Escaped(&excerpt(bio))
        );
    }
    let _ = write!(
        out,
        "\n        </div></td>\n        <td class=\"cell-email\" data-label=\"Email\">{}</td>\n        <td class=\"cell-nowrap\" data-label=\"Age\">",
        Escaped(email)
    );
    let _ = match age {
        Some(1) => write!(out, "1 year old"),
        Some(age) => write!(out, "{age} years old"),
        None => write!(out, "Age not given"),
    };
    let _ = write!(out, "</td>\n        <td data-label=\"City\">");
    let _ = match city {
        Some(city) => write!(out, "{}", Escaped(city)),
        None => write!(out, "<span class=\"muted\">Not given</span>"),
    };
    // created_at is stored as "YYYY-MM-DD HH:MM:SS" (UTC).
    let (date, time) = created_at.split_at(10.min(created_at.len()));
    let (year, month_day) = date.split_at(4.min(date.len()));
    let month: usize = month_day
        .get(1..3)
        .and_then(|m| m.parse().ok())
        .unwrap_or(1);
    let day: u32 = month_day
        .get(4..6)
        .and_then(|d| d.parse().ok())
        .unwrap_or(1);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let _ = write!(
        out,
        "</td>\n        <td class=\"cell-nowrap\" data-label=\"Joined\"><time datetime=\"{date}T{}Z\">{day} {} {year}</time></td>\n        <td class=\"cell-nowrap\" data-label=\"Courses\">{courses}</td>\n        <td class=\"cell-actions\"><div class=\"actions\">\n          <a class=\"button\" href=\"/{id}/edit/\">Edit<span class=\"visually-hidden\"> {name}</span></a>\n          <button class=\"button button-danger\" type=\"submit\" form=\"row-delete\" formaction=\"/{id}/delete/\" data-confirm=\"Delete {name}?\">Delete<span class=\"visually-hidden\"> {name}</span></button>\n        </div></td>\n      </tr>",
        time.trim_start(),
        MONTHS[month.clamp(1, 12) - 1],
    );
    Ok(())
}

/// The application's excerpt: whole words up to 90 characters, then "…".
fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 90;
    let mut out = String::with_capacity(text.len().min(MAX_CHARS * 4) + 3);
    let mut chars = 0;
    for word in text.split_whitespace() {
        let word_chars = word.chars().count();
        let space = usize::from(!out.is_empty());
        if chars + space + word_chars > MAX_CHARS {
            if out.is_empty() {
                out.extend(word.chars().take(MAX_CHARS));
            }
            out.truncate(out.trim_end_matches([',', '.', ';', ':', ' ']).len());
            out.push('\u{2026}');
            return out;
        }
        if space == 1 {
            out.push(' ');
        }
        out.push_str(word);
        chars += space + word_chars;
    }
    out
}

/// HTML-escaped text, as askama's default escaper writes it.
struct Escaped<'a>(&'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['<', '>', '&', '"', '\'']) {
            out.write_str(&rest[..at])?;
            out.write_str(match rest.as_bytes()[at] {
                b'<' => "&#60;",
                b'>' => "&#62;",
                b'&' => "&#38;",
                b'"' => "&#34;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        out.write_str(rest)
    }
}

async fn healthz() -> &'static str {
    "ok"
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, database, port, page_file] = args.as_slice() else {
        eprintln!("usage: bare-index DATABASE PORT PAGE_FILE");
        std::process::exit(2);
    };
    let page = std::fs::read_to_string(page_file)?;
    let (Some(open), Some(close)) = (page.find("<tbody>"), page.find("\n    </tbody>")) else {
        eprintln!("{page_file}: no <tbody> ... </tbody> in the page");
        std::process::exit(2);
    };
    let page = web::Data::new(Page {
        head: page[..open + "<tbody>".len()].to_owned(),
        tail: page[close..].to_owned(),
        database: database.clone(),
    });
    let port: u16 = port.parse().map_err(std::io::Error::other)?;
    HttpServer::new(move || {
        App::new()
            .app_data(page.clone())
            .route("/", web::get().to(index))
            .route("/healthz", web::get().to(healthz))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
