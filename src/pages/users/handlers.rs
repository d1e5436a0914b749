//! The account pages: list, new account, an account's page, and its
//! changes. Each change is a form that redirects back with a flash message
//! (Post/Redirect/Get); a refused change shows the page again, 422, with
//! the reason beside the control it concerns.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use actix_web_flash_messages::FlashMessage;

use super::forms::{NewUserForm, PasswordForm, RoleForm};
use super::views::{NewUserPage, TypedUser, UserPage, UserView, UsersPage};
use crate::accounts::queries::Changed;
use crate::accounts::validation::UserField;
use crate::accounts::{AccountError, NewPassword, PasswordHash, Role, User, UserDraft, queries};
use crate::database::{Database, DbError};
use crate::pages::csrf::{ButtonForm, ProtectedForm};
use crate::pages::password::checked as new_password_checked;
use crate::pages::respond::{render, see_other};
use crate::pages::session::Admin;
use crate::pages::{AppError, Page};

pub async fn index(
    _admin: Admin,
    db: web::Data<Database>,
    page: Page,
) -> Result<HttpResponse, AppError> {
    // One query: the list shows only the accounts' own columns.
    let users = db.run(queries::list).await?;
    let users = users.iter().map(UserView::from).collect();
    render(StatusCode::OK, &UsersPage { page, users })
}

pub async fn new_form(_admin: Admin, page: Page) -> Result<HttpResponse, AppError> {
    let form = NewUserPage::new(page, &TypedUser::default(), Vec::new());
    render(StatusCode::OK, &form)
}

pub async fn create(
    admin: Admin,
    db: web::Data<Database>,
    page: Page,
    form: ProtectedForm<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    let NewUserForm {
        email,
        display_name,
        role,
        password,
        ..
    } = form.0;
    let typed = TypedUser {
        email,
        display_name,
        role,
    };
    let draft = UserDraft {
        email: typed.email.clone(),
        display_name: typed.display_name.clone(),
        role: typed.role.clone(),
    };
    let mut errors = Vec::new();
    let user = draft.validate().map_err(|invalid| {
        for (field, name) in [
            (UserField::Email, "email"),
            (UserField::DisplayName, "display_name"),
            (UserField::Role, "role"),
        ] {
            if let Some(message) = invalid.get(field) {
                errors.push((name, message.to_owned()));
            }
        }
    });
    let password = new_password_checked(password, typed.email.clone(), typed.display_name.clone())
        .await?
        .map_err(|rejected| errors.push(("password", rejected.to_string())));
    let (Ok(user), Ok(password)) = (user, password) else {
        let form = NewUserPage::new(page, &typed, errors);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &form);
    };
    let hash = hash(password).await?;
    let actor = admin.0.actor();
    // The database decides whether the address is taken (its unique index),
    // so two admins adding one address at once get one account.
    let created = db
        .write(move |conn| queries::create(conn, &actor, &user, &hash))
        .await;
    match created {
        Ok(created) => {
            FlashMessage::success(format!(
                "Account created for {} ({}), {}",
                created.display_name,
                created.email,
                created.role.with_article()
            ))
            .send();
            Ok(see_other(&format!("/users/{}/", created.id)))
        }
        Err(AccountError::EmailTaken(_)) => {
            let errors = vec![(
                "email",
                "Another account already uses this email address".to_owned(),
            )];
            let form = NewUserPage::new(page, &typed, errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &form)
        }
        Err(err) => Err(account_error(err)),
    }
}

pub async fn show(
    _admin: Admin,
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let user = load(&db, id.into_inner()).await?;
    render(StatusCode::OK, &UserPage::new(page, &user, Vec::new()))
}

pub async fn set_role(
    admin: Admin,
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
    form: ProtectedForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let user = load(&db, id.into_inner()).await?;
    let role = match Role::parse(form.0.role.trim()) {
        Ok(role) => role,
        Err(unknown) => return refused(page, &user, "role", unknown.to_string()),
    };
    let actor = admin.0.actor();
    let email = user.email.clone();
    let changed = db
        .write(move |conn| queries::set_role(conn, &actor, &email, role))
        .await;
    match changed {
        Ok(changed) if changed.changed_anything() => {
            let after = &changed.after;
            FlashMessage::success(format!(
                "{} is now {} (was {})",
                after.display_name,
                after.role.with_article(),
                changed.before.role.with_article()
            ))
            .send();
            if after.id == admin.0.id && after.role < Role::Admin {
                // No longer theirs to see: the account pages are for admins.
                return Ok(see_other("/"));
            }
            Ok(see_other(&user_url(after)))
        }
        Ok(changed) => {
            let after = &changed.after;
            FlashMessage::info(format!(
                "{} is already {}",
                after.display_name,
                after.role.with_article()
            ))
            .send();
            Ok(see_other(&user_url(after)))
        }
        Err(AccountError::LastAdmin(_)) => {
            refused(page, &user, "role", last_admin_message(&user, "demoted"))
        }
        Err(err) => Err(account_error(err)),
    }
}

pub async fn deactivate(
    admin: Admin,
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
    _form: ProtectedForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let user = load(&db, id.into_inner()).await?;
    let actor = admin.0.actor();
    let email = user.email.clone();
    let changed = db
        .write(move |conn| queries::deactivate(conn, &actor, &email))
        .await;
    match changed {
        Ok(changed) if changed.after.id == admin.0.id => {
            // Their sessions, this one too, ended with the change; the
            // message rides in a new session signed in as no one.
            FlashMessage::info("You deactivated your own account, and are signed out.").send();
            Ok(see_other("/login/"))
        }
        Ok(changed) => {
            let after = &changed.after;
            let message = if changed.changed_anything() {
                format!(
                    "{} is deactivated: they are signed out and can no longer sign in",
                    after.display_name
                )
            } else {
                format!("{} was already deactivated", after.display_name)
            };
            flash(&changed, message);
            Ok(see_other(&user_url(after)))
        }
        Err(AccountError::LastAdmin(_)) => refused(
            page,
            &user,
            "deactivate",
            last_admin_message(&user, "deactivated"),
        ),
        Err(err) => Err(account_error(err)),
    }
}

pub async fn activate(
    admin: Admin,
    db: web::Data<Database>,
    id: web::Path<i32>,
    _form: ProtectedForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let user = load(&db, id.into_inner()).await?;
    let actor = admin.0.actor();
    let email = user.email.clone();
    let changed = db
        .write(move |conn| queries::activate(conn, &actor, &email))
        .await
        .map_err(account_error)?;
    let after = &changed.after;
    let message = if changed.changed_anything() {
        format!("{} is active again and can sign in", after.display_name)
    } else {
        format!("{} is already active", after.display_name)
    };
    flash(&changed, message);
    Ok(see_other(&user_url(after)))
}

pub async fn reset_password(
    admin: Admin,
    db: web::Data<Database>,
    page: Page,
    id: web::Path<i32>,
    form: ProtectedForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let user = load(&db, id.into_inner()).await?;
    let checked = new_password_checked(
        form.0.password.clone(),
        user.email.clone(),
        user.display_name.clone(),
    )
    .await?;
    let password = match checked {
        Ok(password) => password,
        Err(rejected) => return refused(page, &user, "password", rejected.to_string()),
    };
    let hash = hash(password).await?;
    let actor = admin.0.actor();
    let email = user.email.clone();
    let changed = db
        .write(move |conn| queries::reset_password(conn, &actor, &email, &hash))
        .await
        .map_err(account_error)?;
    if changed.id == admin.0.id {
        // Every session of the account ended with the change, this one too.
        FlashMessage::info("Your password is changed. Sign in with the new one.").send();
        return Ok(see_other("/login/"));
    }
    FlashMessage::success(format!(
        "{}'s password is changed, and they are signed out everywhere",
        changed.display_name
    ))
    .send();
    Ok(see_other(&user_url(&changed)))
}

/// The account with `id`, or the 404 page.
async fn load(db: &Database, id: i32) -> Result<User, AppError> {
    db.run(move |conn| queries::find_by_id(conn, id))
        .await
        .map_err(|err: DbError| AppError::from(err))?
        .ok_or(AppError::NotFound)
}

/// Hashing is slow on purpose: off the async workers.
async fn hash(password: NewPassword) -> Result<PasswordHash, AppError> {
    web::block(move || password.hash())
        .await
        .map_err(AppError::unexpected)
}

/// The account's page again, 422, with why the change to `control` was
/// refused; nothing was changed.
fn refused(
    page: Page,
    user: &User,
    control: &'static str,
    message: String,
) -> Result<HttpResponse, AppError> {
    let page = UserPage::new(page, user, vec![(control, message)]);
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

fn last_admin_message(user: &User, would_be: &str) -> String {
    format!(
        "{} is the last active admin and cannot be {would_be}: \
         make another account an admin first",
        user.display_name
    )
}

/// A success when the change changed something, a note when it did not.
fn flash(changed: &Changed, message: String) {
    if changed.changed_anything() {
        FlashMessage::success(message).send();
    } else {
        FlashMessage::info(message).send();
    }
}

/// What the handlers did not turn into a page of their own.
fn account_error(err: AccountError) -> AppError {
    match err {
        // Accounts are never deleted, but the id may name none.
        AccountError::NotFound(_) => AppError::NotFound,
        AccountError::Database(err) => AppError::from(err),
        other => AppError::unexpected(other),
    }
}

fn user_url(user: &User) -> String {
    format!("/users/{}/", user.id)
}
