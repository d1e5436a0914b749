//! The account pages' templates and the view models they display. Rendered
//! with HTML escaping on; nothing is marked safe.

use askama::Template;

use crate::accounts::{Role, User};
use crate::format::{readable_date, rfc3339};
use crate::pages::Page;
use crate::pages::field::{InputField, error_for, problem_count};

/// The password field of both forms; what was typed is never shown again.
fn password_field(label: &'static str, error: Option<String>) -> InputField {
    InputField::new("password", label, "password")
        .autocomplete("new-password")
        .hint("At least 12 characters. A few uncommon words make a good one.")
        .error(error)
}

/// An account as the pages show it.
pub struct UserView {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created: String,
    pub created_iso: String,
    /// Readable and `datetime`; `None` before the first sign-in.
    pub last_sign_in: Option<(String, String)>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            active: user.active,
            created: readable_date(&user.created_at),
            created_iso: rfc3339(&user.created_at),
            last_sign_in: user
                .last_sign_in_at
                .map(|at| (readable_date(&at), rfc3339(&at))),
        }
    }
}

/// The role `<select>`, with one option chosen.
pub struct RoleSelect {
    pub options: Vec<(&'static str, bool)>,
    pub error: Option<String>,
}

impl RoleSelect {
    /// `chosen` as typed: an unknown one chooses nothing.
    fn new(chosen: &str, error: Option<String>) -> Self {
        Self {
            options: Role::ALL
                .iter()
                .map(|role| (role.as_str(), role.as_str() == chosen))
                .collect(),
            error,
        }
    }
}

#[derive(Template)]
#[template(path = "users/index.html")]
pub struct UsersPage {
    pub page: Page,
    pub users: Vec<UserView>,
}

/// What the new-account form shows again after a refusal: all but the
/// password.
#[derive(Default)]
pub struct TypedUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "users/new.html")]
pub struct NewUserPage {
    pub page: Page,
    pub fields: Vec<InputField>,
    pub role_select: RoleSelect,
    pub password: InputField,
    pub errors: Vec<(&'static str, String)>,
}

impl NewUserPage {
    pub fn new(page: Page, typed: &TypedUser, errors: Vec<(&'static str, String)>) -> Self {
        let fields = vec![
            InputField::new("email", "Email", "email")
                .value(&typed.email)
                .error(error_for(&errors, "email")),
            InputField::new("display_name", "Name", "text")
                .hint("As other staff will see it.")
                .value(&typed.display_name)
                .error(error_for(&errors, "display_name")),
        ];
        // A new account gets the least a role may do unless chosen otherwise.
        let role = if typed.role.is_empty() {
            Role::Viewer.as_str()
        } else {
            &typed.role
        };
        Self {
            page,
            fields,
            role_select: RoleSelect::new(role, error_for(&errors, "role")),
            password: password_field("Initial password", error_for(&errors, "password")),
            errors,
        }
    }

    pub fn problem_count(&self) -> String {
        problem_count(self.errors.len(), "creating the account")
    }
}

#[derive(Template)]
#[template(path = "users/show.html")]
pub struct UserPage {
    pub page: Page,
    pub user: UserView,
    pub role_select: RoleSelect,
    pub password: InputField,
    /// Why the last change was refused, by the control it concerns (`role`,
    /// `deactivate`, `password`).
    pub errors: Vec<(&'static str, String)>,
    /// The account is the signed-in admin's own.
    pub is_self: bool,
}

impl UserPage {
    pub fn new(page: Page, user: &User, errors: Vec<(&'static str, String)>) -> Self {
        let is_self = page.user.as_ref().is_some_and(|me| me.id == user.id);
        Self {
            role_select: RoleSelect::new(user.role.as_str(), error_for(&errors, "role")),
            password: password_field("New password", error_for(&errors, "password")),
            user: UserView::from(user),
            page,
            errors,
            is_self,
        }
    }

    /// Why deactivating was refused, shown beside its button.
    pub fn deactivate_error(&self) -> Option<String> {
        error_for(&self.errors, "deactivate")
    }

    pub fn problem_count(&self) -> String {
        problem_count(self.errors.len(), "this change")
    }
}
