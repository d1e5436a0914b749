use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use scraper::{Html, Selector};
use secrecy::ExposeSecret;
use student_registry::accounts::{
    self, NewPassword, NewUser, PasswordHash, Role, Scope, User, UserDraft,
};
use student_registry::audit::Actor;
use student_registry::config::Settings;
use student_registry::database::AnyConnection;
use student_registry::students::{Student, queries};

pub use crate::test_database::TestDatabase;

// Declared here rather than in each test binary's root, so that every binary
// including this file has it; `tests/browser/app.rs` includes it as well.
#[path = "../common/mod.rs"]
mod common;
use common::start_app;

pub struct TestApp {
    pub address: String,
    /// A browser-like client, signed in as [`TestApp::staff`]: keeps
    /// cookies, does not follow redirects so tests can see them.
    pub client: reqwest::Client,
    /// The client's cookies, for requests a test writes by hand.
    pub cookies: std::sync::Arc<reqwest::cookie::Jar>,
    pub database: TestDatabase,
    /// The admin account the test works as ([`STAFF_EMAIL`], [`STAFF_PASSWORD`]).
    #[allow(dead_code)] // not every test binary asks
    pub staff: User,
    /// A write token of [`TestApp::staff`], which `client` sends to the API.
    #[allow(dead_code)] // not every test binary asks
    pub api_token: String,
    /// `http://127.0.0.1:PORT` of `/metrics`, when the test turned it on.
    pub metrics_address: Option<String>,
}

/// Starts the application on a random port with a fresh database file.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with `/metrics` served on an address of its own
/// ([`TestApp::metrics_address`]).
#[allow(dead_code)] // not every test binary asks
pub async fn spawn_app_with_metrics() -> TestApp {
    spawn_app_with(|settings| settings.metrics_addr = Some(([127, 0, 0, 1], 0).into())).await
}

/// Like [`spawn_app`], with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(TestDatabase::new(), configure).await
}

/// Like [`spawn_app_with`], on a database the test prepared beforehand.
pub async fn spawn_app_on(
    database: TestDatabase,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let started = start_app(database.location(), configure).await;
    let staff = create_account(&mut database.connect(), STAFF_EMAIL, Role::Admin);
    let api_token = create_token(&mut database.connect(), &staff, Scope::Write);
    let cookies = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let app = TestApp {
        address: started.address,
        client: client_with(cookies.clone(), Some(&api_token)),
        cookies,
        database,
        staff,
        api_token,
        metrics_address: started.metrics_address,
    };
    app.sign_in(&app.client, STAFF_EMAIL).await;
    app
}

/// Starts the application on a fresh database with no account, as on a
/// first run: its address, the setup page's address and the database.
#[allow(dead_code)] // not every test binary asks
pub async fn spawn_first_run() -> (String, Option<String>, TestDatabase) {
    let database = TestDatabase::new();
    let started = start_app(database.location(), |_| {}).await;
    (started.address, started.setup_url, database)
}

/// The email of the admin every [`TestApp`] works as.
pub const STAFF_EMAIL: &str = "admin@example.com";
/// The password of every account the tests create.
pub const STAFF_PASSWORD: &str = "violet tractor mango reef";

/// Creates an account with [`STAFF_PASSWORD`], named after its email, as
/// `users create` would.
pub fn create_account(conn: &mut AnyConnection, email: &str, role: Role) -> User {
    let name = email.split('@').next().unwrap_or(email);
    let draft = UserDraft {
        email: email.to_owned(),
        display_name: name.to_owned(),
        role: role.as_str().to_owned(),
    };
    let user: NewUser = draft.validate().expect("a valid account");
    accounts::queries::create(conn, &Actor::command_line(), &user, &staff_password_hash())
        .expect("create the account")
}

/// Hashing is slow on purpose: once per test process. The password's rules
/// are checked against an unrelated name, so it suits every test account.
fn staff_password_hash() -> PasswordHash {
    static HASH: std::sync::LazyLock<PasswordHash> = std::sync::LazyLock::new(|| {
        NewPassword::parse(STAFF_PASSWORD, "staff@example.com", "Staff")
            .expect("a strong password")
            .hash()
    });
    HASH.clone()
}

/// A token for `user`, named after its scope, made as `tokens create` does.
pub fn create_token(conn: &mut AnyConnection, user: &User, scope: Scope) -> String {
    let (_, token) = accounts::tokens::create(
        conn,
        &Actor::command_line(),
        user.id,
        scope.as_str(),
        scope,
        None,
    )
    .expect("create the token");
    token.expose_secret().to_owned()
}

/// A client of its own, signed in as no one, sending `token` to the API
/// as its bearer token (the pages ignore it).
pub fn client_with_token(token: &str) -> reqwest::Client {
    client_with(std::sync::Arc::default(), Some(token))
}

/// A client of its own, signed in as no one.
pub fn client() -> reqwest::Client {
    client_with(std::sync::Arc::default(), None)
}

fn client_with(
    cookies: std::sync::Arc<reqwest::cookie::Jar>,
    token: Option<&str>,
) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("a header value");
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .redirect(Policy::none())
        // Under the server's 5-second keep-alive: a connection the server
        // is closing is never reused (that request would fail mid-way).
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .cookie_provider(cookies)
        .default_headers(headers)
        .build()
        .expect("http client")
}

/// A loopback port nothing listens on (for a server the test starts as a
/// separate process).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A complete, valid set of form values.
pub fn sammy() -> Vec<(&'static str, String)> {
    vec![
        ("firstname", "Sammy".into()),
        ("lastname", "Shark".into()),
        ("email", "sammyshark@example.com".into()),
        ("age", "20".into()),
        ("bio", "Marine biology student".into()),
        ("city", "Lisbon".into()),
    ]
}

/// `fields` with `name` set to `value`.
pub fn with(
    mut fields: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    match fields.iter_mut().find(|(field, _)| *field == name) {
        Some(entry) => entry.1 = value.to_owned(),
        None => fields.push((name, value.to_owned())),
    }
    fields
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Signs `client` in as `email` (with [`STAFF_PASSWORD`]) through the
    /// sign-in form, as a person would.
    pub async fn sign_in(&self, client: &reqwest::Client, email: &str) {
        let response = self.try_sign_in(client, email, STAFF_PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "signing in as {email}"
        );
    }

    /// Submits the sign-in form (with a token from the form) and returns the
    /// answer.
    pub async fn try_sign_in(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> Response {
        let login = client
            .get(self.url("/login/"))
            .send()
            .await
            .expect("GET /login/");
        let html = Html::parse_document(&login.text().await.expect("body"));
        let token = attr(&html, "input[name=csrf_token]", "value").expect("a CSRF token");
        client
            .post(self.url("/login/"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .expect("POST /login/")
    }

    /// Another instance of the app on the same database: its address and
    /// its setup page's.
    #[allow(dead_code)] // not every test binary asks
    pub async fn start_another(&self) -> (String, Option<String>) {
        let started = start_app(self.database.location(), |_| {}).await;
        (started.address, started.setup_url)
    }

    /// A new client, signed in to a new account with `role`
    /// (`ROLE@example.com`).
    #[allow(dead_code)] // not every test binary asks
    pub async fn client_as(&self, role: Role) -> reqwest::Client {
        let email = format!("{role}@example.com");
        create_account(&mut self.db(), &email, role);
        let client = client();
        self.sign_in(&client, &email).await;
        client
    }

    /// The `Cookie` header [`TestApp::client`] sends (its session), for a
    /// request written by hand.
    #[allow(dead_code)] // not every test binary asks
    pub fn cookie_header(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = self.address.parse().expect("the app's address");
        self.cookies
            .cookies(&url)
            .and_then(|value| value.to_str().ok().map(str::to_owned))
            .unwrap_or_default()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GETs a page and parses it.
    pub async fn page(&self, path: &str) -> (StatusCode, Html) {
        self.page_as(&self.client, path).await
    }

    /// GETs a page as `client` (another account's session, say) and parses it.
    pub async fn page_as(&self, client: &reqwest::Client, path: &str) -> (StatusCode, Html) {
        let response = client.get(self.url(path)).send().await.expect("GET");
        let status = response.status();
        (
            status,
            Html::parse_document(&response.text().await.expect("body")),
        )
    }

    /// The CSRF token of this client's session, read from a form as a browser would.
    pub async fn csrf_token(&self) -> String {
        let (_, html) = self.page("/create/").await;
        attr(&html, "input[name=csrf_token]", "value").expect("a CSRF token in the form")
    }

    /// POSTs form fields with this session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, String)]) -> Response {
        let token = self.csrf_token().await;
        let mut body: Vec<(&str, String)> = fields.to_vec();
        body.push(("csrf_token", token));
        self.client
            .post(self.url(path))
            .form(&body)
            .send()
            .await
            .expect("POST")
    }

    /// Clicks the button `button` selects in `html`, as a browser without
    /// JavaScript would: posts its form's fields and the button's own name
    /// and value to the button's `formaction`, else the form's `action`. The
    /// form is the button's `form` attribute's, else the one around it.
    #[allow(dead_code)] // not every test binary asks
    pub async fn click(&self, html: &Html, button: &str) -> Response {
        let selector = Selector::parse(button).expect("valid selector");
        let button = html.select(&selector).next().expect("the button");
        let form = match button.value().attr("form") {
            Some(id) => {
                let by_id = Selector::parse(&format!("form#{id}")).expect("valid selector");
                html.select(&by_id).next().expect("the button's form")
            }
            None => button
                .ancestors()
                .filter_map(scraper::ElementRef::wrap)
                .find(|element| element.value().name() == "form")
                .expect("a form around the button"),
        };
        assert_eq!(form.value().attr("method"), Some("post"), "a POST form");
        let action = button
            .value()
            .attr("formaction")
            .or_else(|| form.value().attr("action"))
            .expect("where the form goes");
        let inputs = Selector::parse("input[name]").expect("valid selector");
        let mut body: Vec<(String, String)> = form
            .select(&inputs)
            .map(|input| {
                let field = input.value();
                (
                    field.attr("name").unwrap_or_default().to_owned(),
                    field.attr("value").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        if let Some(name) = button.value().attr("name") {
            let value = button.value().attr("value").unwrap_or_default();
            body.push((name.to_owned(), value.to_owned()));
        }
        self.client
            .post(self.url(action))
            .form(&body)
            .send()
            .await
            .expect("POST")
    }

    /// Creates a student through the form and returns its id.
    pub async fn create(&self, fields: &[(&str, String)]) -> i32 {
        let response = self.post_form("/create/", fields).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "create should redirect"
        );
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        location
            .trim_matches('/')
            .parse()
            .expect("redirect to /{id}/")
    }

    /// A connection of its own to the app's database, outside the app.
    pub fn db(&self) -> AnyConnection {
        self.database.connect()
    }

    pub fn students(&self) -> Vec<Student> {
        all_students(&mut self.db())
    }

    pub fn student(&self, id: i32) -> Option<Student> {
        queries::find(&mut self.db(), id).expect("find student")
    }
}

pub fn select(html: &Html, selector: &str) -> Vec<String> {
    let selector = Selector::parse(selector).expect("valid selector");
    html.select(&selector)
        .map(|element| {
            element
                .text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub fn text(html: &Html, selector: &str) -> Option<String> {
    select(html, selector).into_iter().next()
}

pub fn attr(html: &Html, selector: &str, name: &str) -> Option<String> {
    let selector = Selector::parse(selector).expect("valid selector");
    html.select(&selector)
        .next()
        .and_then(|element| element.value().attr(name))
        .map(str::to_owned)
}

/// The value a browser would submit for a form control.
pub fn field_value(html: &Html, name: &str) -> String {
    if let Some(value) = attr(html, &format!("input[name={name}]"), "value") {
        return value;
    }
    let selector = Selector::parse(&format!("textarea[name={name}]")).unwrap();
    let textarea = html
        .select(&selector)
        .next()
        .unwrap_or_else(|| panic!("no field {name}"));
    textarea.text().collect()
}

/// The message shown beside a field, if any.
pub fn field_error(html: &Html, name: &str) -> Option<String> {
    text(html, &format!("#{name}-error"))
        .map(|message| message.trim_start_matches("Error: ").to_owned())
}

impl TestApp {
    /// `/healthz`'s status once it settles on `expected`, or its last status
    /// after a few seconds: its write probe runs at most once a second while
    /// writes succeed, so a database that just stopped taking writes may
    /// still be reported healthy for up to that long.
    #[allow(dead_code)] // not every test binary asks
    pub async fn health_within_seconds(&self, expected: StatusCode) -> StatusCode {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        loop {
            let status = self.get("/healthz").await.status();
            if status == expected || std::time::Instant::now() > deadline {
                return status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// Every stored student, by id: what the database holds, read past the app.
pub fn all_students(conn: &mut AnyConnection) -> Vec<Student> {
    use diesel::prelude::*;
    use student_registry::schema::students;
    // `as_select` fixes the backend where the query is built.
    macro_rules! all {
        ($c:expr) => {
            students::table
                .select(Student::as_select())
                .order(students::id.asc())
                .load($c)
        };
    }
    match conn {
        AnyConnection::Sqlite(c) => all!(c),
        AnyConnection::Postgresql(c) => all!(c),
    }
    .expect("list students")
}

/// Breaks the database under the running app: the students' table is gone
/// (with what depends on it: the enrolments' key, on PostgreSQL).
#[allow(dead_code)] // not every test binary asks
pub fn drop_students_table(app: &TestApp) {
    use diesel::connection::SimpleConnection;
    let mut conn = app.db();
    let sql = match &conn {
        AnyConnection::Sqlite(_) => "DROP TABLE students",
        AnyConnection::Postgresql(_) => "DROP TABLE students CASCADE",
    };
    conn.batch_execute(sql).expect("drop the students' table");
}
