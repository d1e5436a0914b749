//! `/setup/`: the first admin, on a database with no account. There is no
//! default account or password: at start-up with no account, `serve` logs
//! this page's address with a random token, which only whoever reads that
//! log knows. It works until an account exists.

use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use rand::RngCore;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::accounts::validation::UserField;
use crate::accounts::{AccountError, NewPassword, UserDraft, queries, sign_in};
use crate::database::{Database, DbError};
use crate::http::client;
use crate::pages::csrf::{CarriesCsrfToken, ProtectedForm};
use crate::pages::field::{InputField, error_for, problem_count};
use crate::pages::respond::{render, see_other};
use crate::pages::session;
use crate::pages::{AppError, Page};

/// The setup page's secret, while it still works.
pub struct SetupToken(Mutex<Option<String>>);

impl SetupToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(Mutex::new(Some(URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// One that matches nothing: the database had accounts at start-up.
    pub fn used() -> Self {
        Self(Mutex::new(None))
    }

    /// The page's address, as someone on this machine would open it.
    pub fn url(&self, host: IpAddr, port: u16) -> String {
        let host = match host {
            host if host.is_unspecified() => "localhost".to_owned(),
            IpAddr::V6(host) => format!("[{host}]"),
            IpAddr::V4(host) => host.to_string(),
        };
        let token = self.lock().clone().unwrap_or_default();
        format!("http://{host}:{port}/setup/?token={token}")
    }

    fn matches(&self, presented: &str) -> bool {
        self.lock()
            .as_deref()
            .is_some_and(|token| bool::from(token.as_bytes().ct_eq(presented.as_bytes())))
    }

    fn spend(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    page: Page,
    token: String,
    fields: Vec<InputField>,
    errors: Vec<(&'static str, String)>,
}

impl SetupPage {
    fn new(page: Page, token: String, typed: &Typed, errors: Vec<(&'static str, String)>) -> Self {
        let error = |name: &str| error_for(&errors, name);
        let fields = vec![
            InputField::new("email", "Email", "email")
                .autocomplete("username")
                .value(&typed.email)
                .error(error("email")),
            InputField::new("display_name", "Name", "text")
                .autocomplete("name")
                .hint("As other staff will see it.")
                .value(&typed.display_name)
                .error(error("display_name")),
            InputField::new("password", "Password", "password")
                .autocomplete("new-password")
                .hint("At least 12 characters. A few uncommon words make a good one.")
                .error(error("password")),
        ];
        Self {
            page,
            token,
            fields,
            errors,
        }
    }

    pub fn problem_count(&self) -> String {
        problem_count(self.errors.len(), "creating the account")
    }
}

#[derive(Default)]
struct Typed {
    email: String,
    display_name: String,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn form(
    req: HttpRequest,
    db: web::Data<Database>,
    setup: web::Data<SetupToken>,
    query: web::Query<TokenQuery>,
) -> actix_web::Result<HttpResponse> {
    check(&db, &setup, &query.token).await?;
    // Only now: the page's form token starts a session, which a stranger
    // guessing tokens should not get.
    let page = Page::extract(&req).await?;
    let page = SetupPage::new(page, query.token.clone(), &Typed::default(), Vec::new());
    Ok(render(StatusCode::OK, &page)?)
}

/// Refuses a wrong token, and any token once an account exists, with a 404:
/// the page is not there for anyone else.
async fn check(db: &Database, setup: &SetupToken, token: &str) -> Result<(), AppError> {
    if !setup.matches(token) {
        return Err(AppError::NotFound);
    }
    if db.run(queries::count).await? > 0 {
        setup.spend();
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// What the setup form sends. No `Debug`: it holds a password.
#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrfToken for SetupForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn create_admin(
    req: HttpRequest,
    db: web::Data<Database>,
    setup: web::Data<SetupToken>,
    page: Page,
    session: Session,
    form: ProtectedForm<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let SetupForm {
        token,
        email,
        display_name,
        password,
        ..
    } = form.0;
    check(&db, &setup, &token).await?;
    let typed = Typed {
        email,
        display_name,
    };
    let draft = UserDraft {
        email: typed.email.clone(),
        display_name: typed.display_name.clone(),
        role: "admin".to_owned(),
    };
    let mut errors = Vec::new();
    let user = draft.validate().map_err(|invalid| {
        for (field, name) in [
            (UserField::Email, "email"),
            (UserField::DisplayName, "display_name"),
        ] {
            if let Some(message) = invalid.get(field) {
                errors.push((name, message.to_owned()));
            }
        }
    });
    // The strength estimate and the hash are slow: off the async workers.
    let (email, name) = (typed.email.clone(), typed.display_name.clone());
    let hashed = web::block(move || {
        NewPassword::parse(&password, &email, &name).map(|password| password.hash())
    })
    .await
    .map_err(AppError::unexpected)?
    .map_err(|rejected| errors.push(("password", rejected.to_string())));
    let (Ok(user), Ok(hash)) = (user, hashed) else {
        let page = SetupPage::new(page, token, &typed, errors);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let created = db
        .write(move |conn| queries::create_first_admin(conn, &user, &hash))
        .await
        .map_err(|err| match err {
            AccountError::Database(err) => AppError::from(err),
            other => AppError::unexpected(other),
        })?;
    setup.spend();
    let Some(admin) = created else {
        return Err(AppError::NotFound);
    };
    let id = admin.id;
    let actor = admin.actor(client::address(&req));
    let email = admin.email.clone();
    db.write(move |conn| sign_in::succeeded(conn, id, &email, None, &actor, Utc::now()))
        .await
        .map_err(|err: DbError| AppError::from(err))?;
    session::sign_in(&session, id, &admin.password_hash).map_err(AppError::unexpected)?;
    tracing::info!("first admin created: {}", admin.email);
    FlashMessage::success(format!(
        "Welcome, {}. Your admin account is ready.",
        admin.display_name
    ))
    .send();
    Ok(see_other("/"))
}
