//! Staff accounts: who may sign in, and with which role. Shaped like
//! [`crate::students`]:
//!
//! - [`model`]: the stored account and the [`Role`]s;
//! - [`password`]: the password rules, and hashing (slow: callers run it off
//!   the async workers);
//! - [`validation`]: what someone typed ([`UserDraft`]) and the only way from
//!   it to an account that can be stored ([`NewUser`]);
//! - [`queries`]: reads and writes, with the rule that the last active admin
//!   stays one;
//! - [`own_account`]: what people do to their own account (a new password,
//!   signing out everywhere);
//! - [`sessions`]: sign-in sessions, stored on the server;
//! - [`sign_in`]: what a sign-in attempt writes, with its audit event;
//! - [`throttle`]: failed sign-ins, and when there have been too many;
//! - [`tokens`]: API tokens, the JSON API's credentials.

pub mod model;
pub mod own_account;
pub mod password;
pub mod queries;
pub mod sessions;
pub mod sign_in;
pub mod throttle;
pub mod tokens;
pub mod validation;

pub use model::{Role, User};
pub use password::{NewPassword, PasswordHash, PasswordRejected};
pub use queries::AccountError;
pub use tokens::{ApiToken, Caller, Scope, TokenError};
pub use validation::{InvalidUser, NewUser, UserDraft};
