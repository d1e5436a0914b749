//! `/account/tokens/`: the signed-in person's API tokens, a form to make
//! one (shown once, in the answer to that form), and a revoke button each.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::views::Moment;
use crate::accounts::tokens::{self, EXPIRES_IN_DAYS_MAX};
use crate::accounts::{ApiToken, Scope, TokenError};
use crate::database::{Database, DbError};
use crate::pages::csrf::{CarriesCsrfToken, ProtectedForm};
use crate::pages::field::InputField;
use crate::pages::field::{error_for, problem_count};
use crate::pages::respond::{render, see_other};
use crate::pages::session::SignedIn;
use crate::pages::{AppError, Page};

/// One row of the list.
struct TokenRow {
    id: i32,
    name: String,
    scope: Scope,
    created: Moment,
    last_used: Option<Moment>,
    expires: Option<Moment>,
    revoked: Option<Moment>,
    expired: bool,
}

impl TokenRow {
    fn new(token: &ApiToken, now: chrono::NaiveDateTime) -> Self {
        Self {
            id: token.id,
            name: token.name.clone(),
            scope: token.scope,
            created: Moment::from(&token.created_at),
            last_used: token.last_used_at.as_ref().map(Moment::from),
            expires: token.expires_at.as_ref().map(Moment::from),
            revoked: token.revoked_at.as_ref().map(Moment::from),
            expired: token.expired(now),
        }
    }
}

/// What the create form sends, and shows again when refused.
#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    expires_in_days: String,
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrfToken for TokenForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// A token just made: its name, and the token itself, shown this once.
struct NewToken {
    name: String,
    secret: SecretString,
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    page: Page,
    tokens: Vec<TokenRow>,
    name: InputField,
    /// The scopes this account may give a token, with the one chosen.
    scopes: Vec<Scope>,
    scope: String,
    expires_in_days: String,
    errors: Vec<(&'static str, String)>,
    created: Option<NewToken>,
}

impl TokensPage {
    fn new(
        page: Page,
        user: &SignedIn,
        tokens: &[ApiToken],
        typed: &TokenForm,
        errors: Vec<(&'static str, String)>,
    ) -> Self {
        let now = Utc::now().naive_utc();
        let scopes = Scope::ALL
            .into_iter()
            .filter(|scope| tokens::check_scope(user.role, *scope).is_ok())
            .collect();
        Self {
            name: InputField::new("name", "Name", "text")
                .hint("To tell it apart: what uses it, say. Unique among your tokens.")
                .value(typed.name.as_str())
                .error(error_for(&errors, "name")),
            scope: typed.scope.clone(),
            expires_in_days: typed.expires_in_days.clone(),
            tokens: tokens
                .iter()
                .map(|token| TokenRow::new(token, now))
                .collect(),
            page,
            scopes,
            errors,
            created: None,
        }
    }

    pub fn problem_count(&self) -> String {
        problem_count(self.errors.len(), "creating the token")
    }

    fn error(&self, field: &str) -> Option<String> {
        error_for(&self.errors, field)
    }

    /// The scope option selected: the one typed, else read (the safer).
    fn selected(&self, scope: &Scope) -> bool {
        match Scope::parse(&self.scope) {
            Ok(typed) => typed == *scope,
            Err(_) => *scope == Scope::Read,
        }
    }

    fn secret(&self) -> Option<&str> {
        self.created
            .as_ref()
            .map(|created| created.secret.expose_secret())
    }
}

async fn own_tokens(db: &Database, user: &SignedIn) -> Result<Vec<ApiToken>, AppError> {
    let id = user.id;
    Ok(db.run(move |conn| tokens::list_for_user(conn, id)).await?)
}

pub async fn list(
    user: SignedIn,
    db: web::Data<Database>,
    page: Page,
) -> Result<HttpResponse, AppError> {
    let tokens = own_tokens(&db, &user).await?;
    let page = TokensPage::new(page, &user, &tokens, &TokenForm::default(), Vec::new());
    render(StatusCode::OK, &page)
}

/// The expiry as typed: blank for none, else a whole number of days (its
/// range is [`tokens::create`]'s to check).
fn parse_expiry(typed: &str) -> Result<Option<u32>, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    typed.parse().map(Some).map_err(|_| {
        format!(
            "Expiry must be a whole number of days from 1 to {EXPIRES_IN_DAYS_MAX}, \
             or blank for a token that does not expire"
        )
    })
}

pub async fn create(
    user: SignedIn,
    db: web::Data<Database>,
    page: Page,
    form: ProtectedForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let typed = form.0;
    let mut errors = Vec::new();
    let name =
        tokens::parse_name(&typed.name).map_err(|err| errors.push(("name", err.to_string())));
    let scope = match Scope::parse(&typed.scope) {
        Ok(scope) => tokens::check_scope(user.role, scope)
            .map(|()| scope)
            .map_err(|err| errors.push(("scope", err.to_string()))),
        Err(_) => {
            errors.push(("scope", "Choose the scope: read or write".to_owned()));
            Err(())
        }
    };
    let expiry = parse_expiry(&typed.expires_in_days)
        .map_err(|message| errors.push(("expires_in_days", message)));
    let (Ok(name), Ok(scope), Ok(expiry)) = (name, scope, expiry) else {
        return refused(&db, page, &user, &typed, errors).await;
    };
    let actor = user.actor();
    let id = user.id;
    let made = db
        .write(move |conn| tokens::create(conn, &actor, id, &name, scope, expiry))
        .await;
    let (token, secret) = match made {
        Ok(made) => made,
        Err(TokenError::Database(err)) => return Err(AppError::from(err)),
        Err(err @ TokenError::NameTaken(_)) => {
            let message = format!("You already have a token named “{}”", typed.name.trim());
            tracing::debug!("{err}");
            return refused(&db, page, &user, &typed, vec![("name", message)]).await;
        }
        Err(err @ TokenError::InvalidName(_)) => {
            return refused(&db, page, &user, &typed, vec![("name", err.to_string())]).await;
        }
        Err(err @ TokenError::InvalidExpiry(_)) => {
            let errors = vec![("expires_in_days", err.to_string())];
            return refused(&db, page, &user, &typed, errors).await;
        }
        Err(err @ TokenError::ScopeBeyondRole(_)) => {
            return refused(&db, page, &user, &typed, vec![("scope", err.to_string())]).await;
        }
    };
    tracing::info!(
        "{} created {} token {:?}",
        user.email,
        token.scope,
        token.name
    );
    let tokens = own_tokens(&db, &user).await?;
    let mut page = TokensPage::new(page, &user, &tokens, &TokenForm::default(), Vec::new());
    page.created = Some(NewToken {
        name: token.name,
        secret,
    });
    // The page is the only place the token is ever shown: 201 for the
    // token made, and no cache keeps the page (Cache-Control: no-store on
    // every page).
    render(StatusCode::CREATED, &page)
}

/// The form again, with what was typed and why it was refused.
async fn refused(
    db: &Database,
    page: Page,
    user: &SignedIn,
    typed: &TokenForm,
    errors: Vec<(&'static str, String)>,
) -> Result<HttpResponse, AppError> {
    let tokens = own_tokens(db, user).await?;
    let page = TokensPage::new(page, user, &tokens, typed, errors);
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrfToken for RevokeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Revokes one of the account's own tokens; any other id is a 404, so
/// another account's tokens cannot even be found this way.
pub async fn revoke(
    user: SignedIn,
    db: web::Data<Database>,
    token_id: web::Path<i32>,
    _form: ProtectedForm<RevokeForm>,
) -> Result<HttpResponse, AppError> {
    let token_id = token_id.into_inner();
    let actor = user.actor();
    let id = user.id;
    let token = db
        .write(move |conn| tokens::revoke(conn, &actor, id, token_id))
        .await
        .map_err(|err: DbError| AppError::from(err))?
        .ok_or(AppError::NotFound)?;
    FlashMessage::success(format!(
        "Token “{}” is revoked: it no longer works.",
        token.name
    ))
    .send();
    Ok(see_other("/account/tokens/"))
}
