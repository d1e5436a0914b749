//! `/login/` and `/logout/`.

use std::net::{IpAddr, Ipv4Addr};

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::accounts::throttle::ThrottleRules;
use crate::accounts::{User, password, queries, sign_in};
use crate::database::{Database, DbError};
use crate::http::client;
use crate::pages::csrf::{CarriesCsrfToken, ProtectedForm};
use crate::pages::field::InputField;
use crate::pages::respond::{render, see_other};
use crate::pages::session::{self, SignedIn, signed_in_as};
use crate::pages::{AppError, Page};

/// The one answer for an unknown email, a wrong password and a deactivated
/// account alike: which one it was would tell a stranger who has an account.
pub const SIGN_IN_FAILED: &str = "Email or password is incorrect";

/// More than any email can have (254), with room for spaces around it.
const MAX_EMAIL_TYPED: usize = 320;

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    page: Page,
    fields: Vec<InputField>,
    next: String,
    problem: Option<String>,
}

impl LoginPage {
    fn new(page: Page, email: &str, next: &str, problem: Option<String>) -> Self {
        Self {
            page,
            fields: vec![
                InputField::new("email", "Email", "email")
                    .autocomplete("username")
                    .value(email),
                InputField::new("password", "Password", "password")
                    .autocomplete("current-password"),
            ],
            next: next.to_owned(),
            problem,
        }
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn form(
    page: Page,
    session: Session,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(&query.next);
    if signed_in_as(&session).is_some() {
        // The gate checks the account on the way there.
        return Ok(see_other(next));
    }
    render(StatusCode::OK, &LoginPage::new(page, "", next, None))
}

/// What the sign-in form sends. No `Debug`: it holds a password.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrfToken for LoginForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn sign_in(
    req: HttpRequest,
    db: web::Data<Database>,
    rules: web::Data<ThrottleRules>,
    checks: web::Data<PasswordChecks>,
    page: Page,
    session: Session,
    form: Result<ProtectedForm<LoginForm>, actix_web::Error>,
) -> Result<HttpResponse, actix_web::Error> {
    match form {
        Ok(form) => Ok(attempt(req, db, rules, checks, page, session, form.0).await?),
        Err(err) => expired_form(page, err),
    }
}

async fn attempt(
    req: HttpRequest,
    db: web::Data<Database>,
    rules: web::Data<ThrottleRules>,
    checks: web::Data<PasswordChecks>,
    page: Page,
    session: Session,
    form: LoginForm,
) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email,
        password,
        next,
        ..
    } = form;
    if email.chars().any(char::is_control) || email.chars().count() > MAX_EMAIL_TYPED {
        // No account has such an email, and no database needs to see it.
        let problem = Some(SIGN_IN_FAILED.to_owned());
        let page = LoginPage::new(page, &email, safe_next(&next), problem);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let rules = **rules;
    // Without a peer address (not over TCP) all such clients share one.
    let address = client::address(&req).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let typed = email.clone();
    let claimed = db
        .write(move |conn| rules.claim(conn, &typed, address, Utc::now()))
        .await
        .map_err(|err: DbError| AppError::from(err))?;
    let claim = match claimed {
        Ok(claim) => claim,
        // Checked before the password, so a throttled guess costs no hashing
        // and tells nothing.
        Err(retry) => return too_many(page, &email, &next, retry.seconds()),
    };
    let lookup = email.clone();
    let user = db
        .run(move |conn| queries::find_by_email(conn, &lookup))
        .await?;
    let account = user.as_ref().map(|user| user.id);
    // However many attempts arrive at once, only a few hashes are computed
    // at a time: the others wait here, holding no thread.
    let _turn = checks.0.acquire().await.map_err(AppError::unexpected)?;
    let user = web::block(move || verified(user, &password))
        .await
        .map_err(AppError::unexpected)?;
    let Some(user) = user else {
        let typed = email.clone();
        db.write(move |conn| sign_in::failed(conn, &typed, account, address))
            .await
            .map_err(|err: DbError| AppError::from(err))?;
        let problem = Some(SIGN_IN_FAILED.to_owned());
        let page = LoginPage::new(page, &email, safe_next(&next), problem);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let id = user.id;
    let actor = user.actor(Some(address));
    db.write(move |conn| sign_in::succeeded(conn, id, &email, Some(claim), &actor, Utc::now()))
        .await
        .map_err(|err: DbError| AppError::from(err))?;
    session::sign_in(&session, id, &user.password_hash).map_err(AppError::unexpected)?;
    tracing::info!("{} signed in", user.email);
    Ok(see_other(safe_next(&next)))
}

/// A sign-in form whose token no longer matches (left open past the idle
/// timeout, say) is shown again, with a fresh token, rather than the error
/// page: signing in is what the person was doing. Nothing was checked.
fn expired_form(page: Page, err: actix_web::Error) -> Result<HttpResponse, actix_web::Error> {
    match err.as_error::<AppError>() {
        Some(AppError::Forbidden(reason)) => {
            tracing::info!("sign-in form refused: {reason}");
            let problem = Some(FORM_EXPIRED.to_owned());
            let page = LoginPage::new(page, "", "/", problem);
            Ok(render(StatusCode::FORBIDDEN, &page)?)
        }
        _ => Err(err),
    }
}

const FORM_EXPIRED: &str = "The sign-in form had expired. Please sign in again.";

/// How many password checks run at once: one per CPU. Each takes tens of
/// milliseconds of CPU and 19 MiB; more at once would only queue for the
/// CPU while holding the threads database work needs.
pub struct PasswordChecks(pub Semaphore);

impl PasswordChecks {
    pub fn new() -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self(Semaphore::new(cpus))
    }
}

impl Default for PasswordChecks {
    fn default() -> Self {
        Self::new()
    }
}

/// The 429 answer: the form again, with how long to wait.
fn too_many(page: Page, email: &str, next: &str, seconds: u64) -> Result<HttpResponse, AppError> {
    let problem = format!(
        "Too many failed sign-ins. Try again in {}.",
        readable_wait(seconds)
    );
    let page = LoginPage::new(page, email, safe_next(next), Some(problem));
    let mut response = render(StatusCode::TOO_MANY_REQUESTS, &page)?;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(response)
}

/// "4 minutes", "1 minute", "30 seconds".
fn readable_wait(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if seconds < 60 {
        plural(seconds, "second")
    } else {
        plural(seconds.div_ceil(60), "minute")
    }
}

/// The account, if `password` is its password and it may sign in. Takes as
/// long whether or not the account exists. Slow: off the async workers.
fn verified(user: Option<User>, password: &str) -> Option<User> {
    match user {
        Some(user) => {
            (password::verify(password, &user.password_hash) && user.active).then_some(user)
        }
        None => {
            password::dummy_verify(password);
            None
        }
    }
}

/// Where to go after signing in: a path on this site, or `/`. Anything that
/// a browser could read as another site (`//evil.example`, `/\evil`, a
/// scheme) is refused, so the sign-in page cannot be used to send people
/// elsewhere.
pub fn safe_next(next: &str) -> &str {
    let on_this_site = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if on_this_site && !next.starts_with("/login/") {
        next
    } else {
        "/"
    }
}

#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrfToken for SignOutForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Ends the session: its row goes, so the cookie is worth nothing after,
/// even to someone who kept a copy.
pub async fn sign_out(
    db: web::Data<Database>,
    user: SignedIn,
    session: Session,
    _form: ProtectedForm<SignOutForm>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (user.id, user.actor());
    db.write(move |conn| sign_in::signed_out(conn, id, &actor, false))
        .await
        .map_err(|err: DbError| AppError::from(err))?;
    session.purge();
    Ok(see_other("/login/"))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        for kept in ["/", "/3/", "/?q=ada&page=2", "/3/edit/"] {
            assert_eq!(safe_next(kept), kept);
        }
        for refused in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/login/",
            "/login/?next=/",
            "/a\nb",
            "/a\\b",
        ] {
            assert_eq!(safe_next(refused), "/", "{refused:?}");
        }
    }
}
