//! Cross-site request forgery protection for every state-changing form.
//!
//! Two independent checks, both must pass:
//! 1. the browser's own provenance headers (`Sec-Fetch-Site`, `Origin`) must not
//!    say the request came from another site;
//! 2. the form must carry the token stored in the user's session
//!    (the synchronizer-token pattern), compared in constant time.
//!
//! Pages are compressed, so the token a page carries is masked afresh in
//! every response (BREACH): a secret repeated unchanged in compressed pages
//! next to text an attacker chooses (a search term) leaks through their
//! sizes. The session's token stays the same; each page holds it XORed with
//! a new random pad, pad first.
//!
//! actix has no maintained CSRF crate, so this small piece is ours.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt, SessionInsertError};
use actix_web::dev::Payload;
use actix_web::http::header::{HeaderMap, ORIGIN};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::{AppError, form};
use crate::http::deadline;
use crate::http::hosts::RequestOrigin;

/// The name of the hidden form field, and of the session entry.
pub const TOKEN_FIELD: &str = "csrf_token";

/// The session's token, made on first use, masked for one response.
pub fn token(session: &Session) -> Result<String, AppError> {
    let token = match session
        .get::<String>(TOKEN_FIELD)
        .map_err(AppError::unexpected)?
    {
        Some(token) => token,
        None => new_token(session).map_err(AppError::unexpected)?,
    };
    masked(&token)
}

/// Gives the session a new token (at sign-in: a token someone saw before
/// is worth nothing after), and returns it.
pub fn new_token(session: &Session) -> Result<String, SessionInsertError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    session.insert(TOKEN_FIELD, &token)?;
    Ok(token)
}

const TOKEN_BYTES: usize = 32;

/// `pad ‖ (pad XOR token)`, with a fresh pad.
fn masked(token: &str) -> Result<String, AppError> {
    let token = decoded_token(token).ok_or_else(|| {
        AppError::unexpected(anyhow::anyhow!("the session's CSRF token is malformed"))
    })?;
    let mut out = [0u8; 2 * TOKEN_BYTES];
    let (pad, masked) = out.split_at_mut(TOKEN_BYTES);
    rand::rng().fill_bytes(pad);
    for ((masked, pad), token) in masked.iter_mut().zip(pad.iter()).zip(token) {
        *masked = pad ^ token;
    }
    Ok(URL_SAFE_NO_PAD.encode(out))
}

/// The token a page carried, unmasked; `None` if it is not one.
fn unmasked(submitted: &str) -> Option<[u8; TOKEN_BYTES]> {
    let bytes = URL_SAFE_NO_PAD.decode(submitted).ok()?;
    let (pad, masked) = bytes.split_at_checked(TOKEN_BYTES)?;
    let mut token = [0u8; TOKEN_BYTES];
    if masked.len() != TOKEN_BYTES {
        return None;
    }
    for ((token, pad), masked) in token.iter_mut().zip(pad).zip(masked) {
        *token = pad ^ masked;
    }
    Some(token)
}

fn decoded_token(token: &str) -> Option<[u8; TOKEN_BYTES]> {
    URL_SAFE_NO_PAD.decode(token).ok()?.try_into().ok()
}

/// Checks a token a page carried against the session's.
pub fn verify_token(session: &Session, submitted: &str) -> Result<(), AppError> {
    let expected = session
        .get::<String>(TOKEN_FIELD)
        .map_err(AppError::unexpected)?
        .ok_or(AppError::Forbidden("no CSRF token in the session"))?;
    if tokens_match(&expected, submitted) {
        Ok(())
    } else {
        Err(AppError::Forbidden("CSRF token mismatch"))
    }
}

fn tokens_match(expected: &str, submitted: &str) -> bool {
    match (decoded_token(expected), unmasked(submitted)) {
        (Some(expected), Some(submitted)) => bool::from(expected.ct_eq(&submitted)),
        _ => false,
    }
}

/// Refuses requests that the browser says come from another site. `origin` is
/// where the request was sent (see [`crate::http::hosts`]): a browser's `Origin` must name
/// it exactly, scheme, host and port.
pub fn check_provenance(
    headers: &HeaderMap,
    origin: Option<&RequestOrigin>,
) -> Result<(), AppError> {
    if let Some(site) = headers.get("Sec-Fetch-Site") {
        // `none` is a navigation the user started; anything else but
        // same-origin was started by another site.
        if !matches!(site.to_str(), Ok("same-origin" | "none")) {
            return Err(AppError::Forbidden("cross-site request (Sec-Fetch-Site)"));
        }
    }
    if let Some(sent) = headers.get(ORIGIN) {
        let sent = sent.to_str().unwrap_or_default();
        if !origin.is_some_and(|origin| origin.is(sent)) {
            return Err(AppError::Forbidden(
                "cross-origin request (Origin is not the scheme, host and port the request was \
                 sent to; behind an HTTPS proxy, set TRUST_PROXY)",
            ));
        }
    }
    Ok(())
}

/// A form that carries a CSRF token.
pub trait CarriesCsrfToken {
    fn csrf_token(&self) -> &str;
}

/// A form with nothing but its token: a button that does one thing
/// (delete a record, deactivate an account).
#[derive(Debug, serde::Deserialize)]
pub struct ButtonForm {
    #[serde(default)]
    csrf_token: String,
}

impl CarriesCsrfToken for ButtonForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Extracts a urlencoded form only after both CSRF checks pass; a handler that
/// takes one cannot forget them. The body limit is the app's `PayloadConfig`.
pub struct ProtectedForm<T>(pub T);

impl<T> FromRequest for ProtectedForm<T>
where
    T: DeserializeOwned + CarriesCsrfToken + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let provenance = check_provenance(req.headers(), req.extensions().get::<RequestOrigin>());
        let is_form = req.content_type().eq_ignore_ascii_case(form::CONTENT_TYPE);
        let body = deadline::read_within(req, web::Bytes::from_request(req, payload));
        let session = req.get_session();
        Box::pin(async move {
            provenance?;
            if !is_form {
                return Err(form::not_a_form().into());
            }
            let body = body
                .await
                .map_err(|_| AppError::RequestTimeout)?
                .map_err(form::body_error)?;
            let form: T = form::parse(&body)?;
            verify_token(&session, form.csrf_token())?;
            Ok(Self(form))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn session_token() -> String {
        URL_SAFE_NO_PAD.encode([7u8; TOKEN_BYTES])
    }

    #[test]
    fn a_page_carries_the_token_masked_differently_each_time() {
        let token = session_token();
        let (first, second) = (masked(&token).unwrap(), masked(&token).unwrap());
        assert_ne!(first, second);
        assert!(!first.contains(&token) && !second.contains(&token));
        assert!(tokens_match(&token, &first));
        assert!(tokens_match(&token, &second));
    }

    #[test]
    fn only_the_sessions_token_masked_matches() {
        let token = session_token();
        let other = masked(&URL_SAFE_NO_PAD.encode([8u8; TOKEN_BYTES])).unwrap();
        assert!(!tokens_match(&token, &other));
        // Unmasked, truncated, altered, empty or not base64 at all.
        let good = masked(&token).unwrap();
        let mut altered = good.clone().into_bytes();
        altered[50] = if altered[50] == b'A' { b'B' } else { b'A' };
        for submitted in [
            token.clone(),
            good[..good.len() - 1].to_owned(),
            String::from_utf8(altered).unwrap(),
            String::new(),
            "not a token!".into(),
        ] {
            assert!(!tokens_match(&token, &submitted), "{submitted:?}");
        }
        assert!(!tokens_match("", &good));
    }

    fn local() -> RequestOrigin {
        RequestOrigin {
            https: false,
            host: url::Host::Ipv4([127, 0, 0, 1].into()),
            port: 8000,
        }
    }

    #[test]
    fn same_origin_requests_pass() {
        let host = Some(local());
        let host = host.as_ref();
        assert!(check_provenance(&headers(&[]), host).is_ok());
        assert!(check_provenance(&headers(&[("sec-fetch-site", "same-origin")]), host).is_ok());
        assert!(check_provenance(&headers(&[("origin", "http://127.0.0.1:8000")]), host).is_ok());
        let public = RequestOrigin {
            https: true,
            host: url::Host::Domain("school.example".into()),
            port: 443,
        };
        let origin = headers(&[("origin", "https://school.example")]);
        assert!(check_provenance(&origin, Some(&public)).is_ok());
        // A request that names no origin (HTTP/1.0 without Host) can still
        // be a form posted without an Origin header.
        assert!(check_provenance(&headers(&[]), None).is_ok());
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let host = Some(local());
        let host = host.as_ref();
        for pairs in [
            &[("sec-fetch-site", "cross-site")][..],
            &[("sec-fetch-site", "same-site")][..],
            &[("origin", "http://evil.example")][..],
            &[("origin", "http://127.0.0.1:9999")][..],
            &[("origin", "https://127.0.0.1:8000")][..],
            &[("origin", "null")][..],
            &[
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://evil.example"),
            ][..],
        ] {
            assert!(
                check_provenance(&headers(pairs), host).is_err(),
                "{pairs:?}"
            );
        }
        let origin = headers(&[("origin", "http://127.0.0.1:8000")]);
        assert!(check_provenance(&origin, None).is_err());
    }
}
