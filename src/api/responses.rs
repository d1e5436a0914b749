//! Error responses that many operations document alike, whatever the
//! resource: an operation lists them by name in its `#[utoipa::path]`
//! `responses(...)`, and the document shows each in full there. (The types
//! are never built: only their `IntoResponses` impls are used.)

use utoipa::IntoResponses;

use super::error::{ErrorBody, too_large_message};
use crate::http::body_limit_text;

/// The 413 response's description.
fn too_large_description() -> String {
    format!("The body is over {}.", body_limit_text())
}

/// A JSON body that was not read: every operation that takes one.
#[derive(IntoResponses)]
pub enum BodyRefused {
    #[response(status = 413, description = too_large_description(),
        example = json!({"error": too_large_message(), "fields": {}}))]
    TooLarge(ErrorBody),
    #[response(status = 415, description = "The body is not sent as JSON.",
        example = json!({"error": "the request body must be JSON, sent with Content-Type: application/json",
                         "fields": {}}))]
    NotJson(ErrorBody),
}

/// A write the database did not store: every operation that writes.
#[derive(IntoResponses)]
#[response(status = 503, description = "The database could not store the change (its disk is \
    full, it is read-only, or it is unreachable); nothing was changed. Try again.",
    example = json!({"error": "the change was not saved: the database could not store \
        it; nothing was changed, please try again", "fields": {}}))]
pub struct NotSaved(pub ErrorBody);

/// No valid API token: every operation.
#[derive(IntoResponses)]
#[response(status = 401, description = "No valid API token: the `Authorization: Bearer` \
    header is missing or malformed, or its token is unknown, expired or revoked, or its \
    account is deactivated.",
    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"Student Registry \
        API\"`, with `error=\"invalid_token\"` when a token was sent.")),
    example = json!({"error": "this API needs an API token, sent as Authorization: Bearer \
        <token>", "fields": {}}))]
pub struct Unauthenticated(pub ErrorBody);

/// A valid token that may not write: every operation that writes.
#[derive(IntoResponses)]
#[response(status = 403, description = "The token may only read: its scope is `read` \
    (then `WWW-Authenticate` says `error=\"insufficient_scope\"`), or its account's role is \
    viewer. Nothing was changed.",
    example = json!({"error": "the API token \"reports\" has the read scope: changing \
        records needs a token with the write scope", "fields": {}}))]
pub struct ReadOnly(pub ErrorBody);
