//! The askama templates and the view models they display. Everything here is
//! rendered with HTML escaping on; nothing is marked safe.

use askama::Template;
use askama_web::WebTemplate;
use chrono::{Datelike, NaiveDateTime, Timelike};

use crate::pagination::Pagination;
use crate::students::listing::{DEFAULT_PER_PAGE, Direction, ListParams, SortKey};
use crate::students::validation::{BIO_MAX, CITY_MAX, EMAIL_MAX, NAME_MAX};
use crate::students::{Field, FieldErrors, Student, StudentDraft};
use crate::web::Page;

#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
pub struct IndexPage {
    pub page: Page,
    pub students: Vec<StudentView>,
    pub listing: ListingView,
}

/// Everything around the rows of the index: search, sorting, paging.
pub struct ListingView {
    pub search: Option<String>,
    /// Hidden inputs that keep the sort and page size when searching.
    pub kept_params: Vec<(&'static str, String)>,
    /// "Showing 26–50 of 100,000 students" or "12 students match 'shark'".
    pub summary: String,
    /// Set when the requested page did not exist.
    pub notice: Option<String>,
    /// Why the search found no students without being run, or was stopped:
    /// shown instead of "No students match".
    pub search_problem: Option<&'static str>,
    pub headers: Vec<SortHeader>,
    pub pages: Vec<PageLink>,
    pub clear_search_href: String,
}

pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    /// `aria-sort` on the column the table is sorted by.
    pub aria_sort: Option<&'static str>,
    pub indicator: &'static str,
}

pub struct PageLink {
    pub label: String,
    /// `None` for the current page, a gap, or an end already reached.
    pub href: Option<String>,
    pub current: bool,
    pub accessible_label: String,
}

impl ListingView {
    pub fn new(params: &ListParams, pagination: &Pagination) -> Self {
        let link = |page: i64, sort: SortKey, direction: Direction| {
            index_url(params, page, sort, direction)
        };
        let noun = |n: i64| if n == 1 { "student" } else { "students" };
        let summary = match &params.search {
            Some(term) => format!(
                "{} {} {} \u{2018}{term}\u{2019}{}",
                thousands(pagination.total),
                noun(pagination.total),
                if pagination.total == 1 {
                    "matches"
                } else {
                    "match"
                },
                if pagination.total > pagination.rows_on_page() {
                    format!(
                        ", showing {}\u{2013}{}",
                        thousands(pagination.first_row()),
                        thousands(pagination.last_row())
                    )
                } else {
                    String::new()
                }
            ),
            None => format!(
                "Showing {}\u{2013}{} of {} {}",
                thousands(pagination.first_row()),
                thousands(pagination.last_row()),
                thousands(pagination.total),
                noun(pagination.total)
            ),
        };
        let headers = SortKey::ALL
            .into_iter()
            .map(|key| {
                let current = key == params.sort;
                // Clicking the sorted column flips it; another column starts ascending.
                let direction = if current {
                    params.direction.reversed()
                } else {
                    Direction::Asc
                };
                SortHeader {
                    label: match key {
                        SortKey::Name => "Name",
                        SortKey::Email => "Email",
                        SortKey::Age => "Age",
                        SortKey::City => "City",
                        SortKey::Joined => "Joined",
                    },
                    href: link(1, key, direction),
                    aria_sort: current.then_some(match params.direction {
                        Direction::Asc => "ascending",
                        Direction::Desc => "descending",
                    }),
                    indicator: match (current, params.direction) {
                        (false, _) => "",
                        (true, Direction::Asc) => " \u{25B2}",
                        (true, Direction::Desc) => " \u{25BC}",
                    },
                }
            })
            .collect();
        let page_link = |label: &str, target: i64, accessible: String| PageLink {
            label: label.to_owned(),
            href: (target != pagination.page).then(|| link(target, params.sort, params.direction)),
            current: false,
            accessible_label: accessible,
        };
        let last = pagination.last_page();
        let mut pages = vec![
            page_link("First", 1, "First page".into()),
            page_link(
                "Previous",
                (pagination.page - 1).max(1),
                "Previous page".into(),
            ),
        ];
        for entry in pagination.window() {
            pages.push(match entry {
                Some(number) => PageLink {
                    current: number == pagination.page,
                    ..page_link(&thousands(number), number, format!("Page {number}"))
                },
                None => PageLink {
                    label: "\u{2026}".into(),
                    href: None,
                    current: false,
                    accessible_label: "More pages".into(),
                },
            });
        }
        pages.push(page_link(
            "Next",
            (pagination.page + 1).min(last),
            "Next page".into(),
        ));
        pages.push(page_link("Last", last, format!("Last page, {last}")));
        if last == 1 {
            pages.clear();
        }

        let mut kept_params = Vec::new();
        if params.sort != SortKey::default() || params.direction != Direction::default() {
            kept_params.push(("sort", params.sort.param().to_owned()));
            kept_params.push(("dir", params.direction.param().to_owned()));
        }
        if params.per_page != DEFAULT_PER_PAGE {
            kept_params.push(("per_page", params.per_page.to_string()));
        }
        let without_search = ListParams {
            search: None,
            ..params.clone()
        };
        Self {
            search: params.search.clone(),
            kept_params,
            summary,
            notice: pagination.requested_past_end.map(|requested| {
                format!("There is no page {requested}; this is the last page, {last}.")
            }),
            search_problem: None,
            headers,
            pages,
            clear_search_href: index_url(&without_search, 1, params.sort, params.direction),
        }
    }
}

/// The index URL for a page, keeping the search, sort and page size; default
/// values are left out so links stay short.
fn index_url(params: &ListParams, page: i64, sort: SortKey, direction: Direction) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(term) = &params.search {
        query.append_pair("q", term);
    }
    if sort != SortKey::default() || direction != Direction::default() {
        query.append_pair("sort", sort.param());
        query.append_pair("dir", direction.param());
    }
    if params.per_page != DEFAULT_PER_PAGE {
        query.append_pair("per_page", &params.per_page.to_string());
    }
    if page != 1 {
        query.append_pair("page", &page.to_string());
    }
    match query.finish() {
        query if query.is_empty() => "/".to_owned(),
        query => format!("/?{query}"),
    }
}

/// 100000 → "100,000".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "student.html")]
pub struct StudentPage {
    pub page: Page,
    pub student: StudentView,
}

/// The create and the edit page: one template, one form partial.
#[derive(Template)]
#[template(path = "student_form.html")]
pub struct StudentFormPage {
    pub page: Page,
    pub heading: String,
    pub action: String,
    pub submit_label: &'static str,
    pub cancel_url: String,
    /// The version an edit is based on; `None` when creating.
    pub version: Option<i32>,
    pub fields: Vec<FormField>,
    pub errors: Vec<(&'static str, String)>,
    /// Shown when someone else saved the student while this form was open.
    pub conflict: Option<StudentView>,
    /// Shown when the database could not store the submitted change.
    pub not_saved: bool,
}

impl StudentFormPage {
    pub fn create(page: Page, draft: &StudentDraft, errors: &FieldErrors) -> Self {
        Self {
            page,
            heading: "Add a new student".into(),
            action: "/create/".into(),
            submit_label: "Add student",
            cancel_url: "/".into(),
            version: None,
            fields: FormField::all(draft, errors),
            errors: summary(errors),
            conflict: None,
            not_saved: false,
        }
    }

    pub fn edit(
        page: Page,
        id: i32,
        version: i32,
        draft: &StudentDraft,
        errors: &FieldErrors,
    ) -> Self {
        let name = format!("{} {}", draft.firstname.trim(), draft.lastname.trim());
        Self {
            page,
            heading: format!("Edit {}", name.trim()),
            action: format!("/{id}/edit/"),
            submit_label: "Save changes",
            cancel_url: format!("/{id}/"),
            version: Some(version),
            fields: FormField::all(draft, errors),
            errors: summary(errors),
            conflict: None,
            not_saved: false,
        }
    }

    /// "2 problems prevent saving this student".
    pub fn problem_count(&self) -> String {
        match self.errors.len() {
            1 => "1 problem prevents saving this student".into(),
            n => format!("{n} problems prevent saving this student"),
        }
    }
}

fn summary(errors: &FieldErrors) -> Vec<(&'static str, String)> {
    errors
        .iter()
        .map(|(field, message)| (field.name(), message.to_owned()))
        .collect()
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Empty: the error page has no flash messages and no forms.
    pub page: Page,
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

/// One input of the student form, with what the user typed and its message.
pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub error: Option<String>,
    pub hint: String,
    pub required: bool,
    pub input_type: &'static str,
    pub input_mode: &'static str,
    pub autocomplete: &'static str,
    pub multiline: bool,
}

impl FormField {
    fn all(draft: &StudentDraft, errors: &FieldErrors) -> Vec<Self> {
        Field::ALL
            .into_iter()
            .map(|field| {
                let (value, hint, required) = match field {
                    Field::Firstname => (
                        &draft.firstname,
                        format!("Required, up to {NAME_MAX} characters."),
                        true,
                    ),
                    Field::Lastname => (
                        &draft.lastname,
                        format!("Required, up to {NAME_MAX} characters."),
                        true,
                    ),
                    Field::Email => (
                        &draft.email,
                        format!("Required and unique, up to {EMAIL_MAX} characters."),
                        true,
                    ),
                    Field::Age => (
                        &draft.age,
                        "Optional, a whole number from 1 to 150.".to_owned(),
                        false,
                    ),
                    Field::Bio => (
                        &draft.bio,
                        format!("Optional, up to {BIO_MAX} characters."),
                        false,
                    ),
                    Field::City => (
                        &draft.city,
                        format!("Optional, up to {CITY_MAX} characters."),
                        false,
                    ),
                };
                Self {
                    name: field.name(),
                    label: field.label(),
                    value: value.clone(),
                    error: errors.get(field).map(str::to_owned),
                    hint,
                    required,
                    input_type: if field == Field::Email {
                        "email"
                    } else {
                        "text"
                    },
                    // Text, not number: a number input silently drops what is
                    // not a number, and the user would never see why.
                    input_mode: if field == Field::Age {
                        "numeric"
                    } else {
                        "text"
                    },
                    autocomplete: match field {
                        Field::Firstname => "given-name",
                        Field::Lastname => "family-name",
                        Field::Email => "email",
                        Field::City => "address-level2",
                        Field::Age | Field::Bio => "off",
                    },
                    multiline: field == Field::Bio,
                }
            })
            .collect()
    }
}

/// A student as the pages show it.
pub struct StudentView {
    pub id: i32,
    pub full_name: String,
    pub email: String,
    pub age: String,
    pub city: Option<String>,
    pub bio: Option<String>,
    /// The start of the bio, for the index.
    pub bio_excerpt: Option<String>,
    /// "22 Nov 2026".
    pub joined: String,
    /// For `<time datetime>`.
    pub joined_iso: String,
}

impl From<&Student> for StudentView {
    fn from(student: &Student) -> Self {
        Self {
            id: student.id,
            full_name: student.full_name(),
            email: student.email.clone(),
            age: match student.age {
                Some(1) => "1 year old".into(),
                Some(age) => format!("{age} years old"),
                None => "Age not given".into(),
            },
            city: student.city.clone(),
            bio: student.bio.clone(),
            bio_excerpt: student.bio.as_deref().map(excerpt),
            joined: readable_date(&student.created_at),
            joined_iso: rfc3339(&student.created_at),
        }
    }
}

/// "22 Nov 2026". Written out directly: chrono's `format` re-parses its
/// pattern on every call, which showed in the index page's profile.
pub fn readable_date(at: &NaiveDateTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut out = String::with_capacity(11);
    push_number(&mut out, at.day(), 1);
    out.push(' ');
    out.push_str(MONTHS[at.month0() as usize]);
    out.push(' ');
    push_number(&mut out, at.year().unsigned_abs(), 4);
    out
}

/// "2026-11-22T06:03:00Z": the database stores UTC. Digits are pushed one by
/// one; `format!` with padding cost ~3,000 instructions a call (callgrind).
pub fn rfc3339(at: &NaiveDateTime) -> String {
    let mut out = String::with_capacity(20);
    push_number(&mut out, at.year().unsigned_abs(), 4);
    for (separator, value) in [
        ('-', at.month()),
        ('-', at.day()),
        ('T', at.hour()),
        (':', at.minute()),
        (':', at.second()),
    ] {
        out.push(separator);
        push_number(&mut out, value, 2);
    }
    out.push('Z');
    out
}

/// Appends `value` in decimal, zero-padded to at least `width` digits.
fn push_number(out: &mut String, value: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut n = value;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in len..width {
        out.push('0');
    }
    for digit in digits[..len].iter().rev() {
        out.push(char::from(*digit));
    }
}

/// The first words of a long text, cut at a word boundary.
fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 90;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX_CHARS {
        return text;
    }
    let cut: String = text.chars().take(MAX_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}\u{2026}", cut.trim_end_matches([',', '.', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_well_and_match_chrono() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap()
            .and_hms_opt(7, 8, 9)
            .unwrap();
        assert_eq!(readable_date(&at), "5 Jan 2026");
        assert_eq!(readable_date(&at), at.format("%-d %b %Y").to_string());
        assert_eq!(rfc3339(&at), "2026-01-05T07:08:09Z");
        assert_eq!(
            rfc3339(&at),
            at.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn index_links_keep_search_sort_and_size_and_drop_defaults() {
        let params = ListParams::parse(
            Some("o'brien & co"),
            Some("age"),
            Some("desc"),
            Some("3"),
            Some("50"),
        );
        assert_eq!(
            index_url(&params, 4, params.sort, params.direction),
            "/?q=o%27brien+%26+co&sort=age&dir=desc&per_page=50&page=4"
        );
        assert_eq!(
            index_url(&ListParams::default(), 1, SortKey::Name, Direction::Asc),
            "/"
        );
    }

    #[test]
    fn long_bios_are_cut_at_a_word() {
        assert_eq!(excerpt("Short bio"), "Short bio");
        let long = "word ".repeat(40);
        let cut = excerpt(&long);
        assert!(
            cut.ends_with("word\u{2026}") && cut.chars().count() <= 91,
            "{cut}"
        );
    }
}
