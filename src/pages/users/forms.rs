//! What the account pages' forms send. No `Debug` on the ones holding a
//! password.

use serde::Deserialize;

use crate::pages::csrf::CarriesCsrfToken;

/// The new-account form.
#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    csrf_token: String,
}

/// The change-role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    csrf_token: String,
}

/// The reset-password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    csrf_token: String,
}

macro_rules! carries_csrf_token {
    ($($form:ty),*) => {$(
        impl CarriesCsrfToken for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        }
    )*};
}

carries_csrf_token!(NewUserForm, RoleForm, PasswordForm);
