//! A new password checked against the rules off the async workers: the
//! strength estimate (zxcvbn) takes milliseconds of CPU.

use actix_web::web;

use super::AppError;
use crate::accounts::{NewPassword, PasswordRejected};

/// [`NewPassword::parse`], on the blocking pool.
pub async fn checked(
    typed: String,
    email: String,
    display_name: String,
) -> Result<Result<NewPassword, PasswordRejected>, AppError> {
    web::block(move || NewPassword::parse(&typed, &email, &display_name))
        .await
        .map_err(AppError::unexpected)
}
