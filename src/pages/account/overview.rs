//! `GET /account/`, `POST /account/password/` and
//! `POST /account/sign-out-everywhere/`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use serde::Deserialize;

use super::views::Moment;
use crate::accounts::own_account::{self, OwnAccount, PasswordChange};
use crate::accounts::{Role, password};
use crate::database::{Database, DbError};
use crate::pages::csrf::{CarriesCsrfToken, ProtectedForm};
use crate::pages::field::InputField;
use crate::pages::field::{error_for, problem_count};
use crate::pages::password::checked as new_password_checked;
use crate::pages::respond::{render, see_other};
use crate::pages::session::{self, SignedIn};
use crate::pages::{AppError, Page};

/// Beside the current password, when it is not the account's.
pub const CURRENT_PASSWORD_WRONG: &str = "Current password is incorrect";
/// Beside the new password, when it is the current one.
pub const NEW_PASSWORD_SAME: &str = "New password must differ from the current one";

#[derive(Template)]
#[template(path = "account/show.html")]
struct AccountPage {
    page: Page,
    email: String,
    display_name: String,
    role: Role,
    last_sign_in: Option<Moment>,
    sessions: i64,
    fields: Vec<InputField>,
    errors: Vec<(&'static str, String)>,
}

impl AccountPage {
    fn new(page: Page, account: &OwnAccount, errors: Vec<(&'static str, String)>) -> Self {
        // Neither password is ever sent back.
        let fields = vec![
            InputField::new("current_password", "Current password", "password")
                .autocomplete("current-password")
                .error(error_for(&errors, "current_password")),
            InputField::new("new_password", "New password", "password")
                .autocomplete("new-password")
                .hint("At least 12 characters. A few uncommon words make a good one.")
                .error(error_for(&errors, "new_password")),
        ];
        Self {
            page,
            email: account.user.email.clone(),
            display_name: account.user.display_name.clone(),
            role: account.user.role,
            last_sign_in: account.user.last_sign_in_at.as_ref().map(Moment::from),
            sessions: account.sessions,
            fields,
            errors,
        }
    }

    pub fn problem_count(&self) -> String {
        problem_count(self.errors.len(), "changing the password")
    }
}

async fn load_account(db: &Database, user: &SignedIn) -> Result<OwnAccount, AppError> {
    let id = user.id;
    db.run(move |conn| own_account::summary(conn, id))
        .await?
        // The gate let this account through a moment ago.
        .ok_or(AppError::NotFound)
}

pub async fn show(
    user: SignedIn,
    db: web::Data<Database>,
    page: Page,
) -> Result<HttpResponse, AppError> {
    let account = load_account(&db, &user).await?;
    render(
        StatusCode::OK,
        &AccountPage::new(page, &account, Vec::new()),
    )
}

/// What the password form sends. No `Debug`: it holds passwords.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrfToken for PasswordForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn change_password(
    user: SignedIn,
    db: web::Data<Database>,
    page: Page,
    session: Session,
    form: ProtectedForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let PasswordForm {
        current_password,
        new_password,
        ..
    } = form.0;
    let account = load_account(&db, &user).await?;
    let new = new_password_checked(
        new_password.clone(),
        account.user.email.clone(),
        account.user.display_name.clone(),
    )
    .await?;
    let stored = account.user.password_hash.clone();
    // Argon2 is slow on purpose: off the async workers.
    let (current_right, new_is_current) = web::block(move || {
        let right = password::verify(&current_password, &stored);
        (right, right && password::verify(&new_password, &stored))
    })
    .await
    .map_err(AppError::unexpected)?;
    let mut errors = Vec::new();
    if !current_right {
        errors.push(("current_password", CURRENT_PASSWORD_WRONG.to_owned()));
    }
    match &new {
        Err(rejected) => errors.push(("new_password", rejected.to_string())),
        Ok(_) if new_is_current => errors.push(("new_password", NEW_PASSWORD_SAME.to_owned())),
        Ok(_) => {}
    }
    let new = match new {
        Ok(new) if errors.is_empty() => new,
        _ => {
            let page = AccountPage::new(page, &account, errors);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let new_hash = web::block(move || new.hash())
        .await
        .map_err(AppError::unexpected)?;
    let actor = user.actor();
    let (id, verified) = (user.id, account.user.password_hash.clone());
    let stored = new_hash.clone();
    let change = db
        .write(move |conn| own_account::change_own_password(conn, &actor, id, &verified, &stored))
        .await
        .map_err(|err: DbError| AppError::from(err))?;
    match change {
        PasswordChange::Changed { .. } => {
            // Every session of the account ended with the change, this one
            // too: this browser is signed in again, on a new key.
            session::sign_in(&session, id, new_hash.as_str()).map_err(AppError::unexpected)?;
            FlashMessage::success(
                "Your password is changed. Every other browser signed in to your account \
                 was signed out.",
            )
            .send();
            Ok(see_other("/account/"))
        }
        PasswordChange::CurrentChanged => {
            // Changed meanwhile (another tab, an admin): the password typed
            // is no longer the current one.
            let errors = vec![("current_password", CURRENT_PASSWORD_WRONG.to_owned())];
            let account = load_account(&db, &user).await?;
            let page = AccountPage::new(page, &account, errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Deserialize)]
pub struct SignOutEverywhereForm {
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrfToken for SignOutEverywhereForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Ends every session of the account, this one too.
pub async fn sign_out_everywhere(
    user: SignedIn,
    db: web::Data<Database>,
    session: Session,
    _form: ProtectedForm<SignOutEverywhereForm>,
) -> Result<HttpResponse, AppError> {
    let actor = user.actor();
    let id = user.id;
    let ended = db
        .write(move |conn| own_account::sign_out_everywhere(conn, &actor, id))
        .await
        .map_err(|err: DbError| AppError::from(err))?;
    session.purge();
    tracing::info!("{} signed out everywhere ({ended} sessions)", user.email);
    Ok(see_other("/login/"))
}
