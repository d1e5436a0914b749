//! Who is calling the API: [`require_token`], the middleware on the whole
//! `/api` scope, so no route can forget it, and [`ApiCaller`], the extractor
//! a handler takes to know who acts (the token and its account).
//!
//! Only `Authorization: Bearer <token>` counts (an API token, see
//! [`crate::accounts::tokens`]); cookies are ignored, which is why the API
//! needs no CSRF check. The OpenAPI document is public.

use std::ops::Deref;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use std::future::{Ready, ready};
use std::net::IpAddr;

use super::OPENAPI_PATH;
use super::error::ApiError;
use crate::accounts::{Caller, Scope, tokens};
use crate::audit::Actor;
use crate::database::Database;
use crate::http::client;

/// The caller of an API request, as [`require_token`] found it, and the
/// address it called from.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Caller, pub Option<IpAddr>);

impl ApiCaller {
    /// Who makes a change, as the audit history records them: the token and
    /// whose it is.
    pub fn actor(&self) -> Actor {
        Actor::user(
            self.0.user.id,
            format!("token {} of {}", self.0.token.name, self.0.user.email),
            self.1.map(|address| address.to_string()),
        )
    }
}

impl Deref for ApiCaller {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .map(|caller| ApiCaller(caller, client::address(req)))
                .ok_or_else(|| {
                    // Only a route outside the `/api` scope can get here.
                    ApiError::Unexpected(anyhow::anyhow!(
                        "no API caller: the route is not behind require_token"
                    ))
                }),
        )
    }
}

/// What the `Authorization` header holds.
#[derive(Debug, PartialEq, Eq)]
enum Credentials<'a> {
    /// No header, another scheme, or a header that is not one line of text.
    None,
    /// `Bearer` and something after it (the scheme ignoring case, RFC 9110).
    Bearer(&'a str),
}

fn credentials(req: &ServiceRequest) -> Credentials<'_> {
    let mut headers = req.headers().get_all(AUTHORIZATION);
    let (Some(header), None) = (headers.next(), headers.next()) else {
        return Credentials::None;
    };
    let Ok(value) = header.to_str() else {
        return Credentials::None;
    };
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => match token.trim() {
            "" => Credentials::None,
            token => Credentials::Bearer(token),
        },
        _ => Credentials::None,
    }
}

/// Whether the request only reads.
fn reads_only(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::OPTIONS].contains(method)
}

/// Lets a request through to the `/api` routes only with a valid token
/// (401 otherwise), and one that may write for a method that writes (403
/// otherwise); puts the [`Caller`] in the request's extensions. A database
/// that does not answer is the API's 503, not a 401.
pub async fn require_token(
    db: web::Data<Database>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let public = req.path() == OPENAPI_PATH && [Method::GET, Method::HEAD].contains(req.method());
    if public {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    match authorize(&db, &req).await {
        Ok(caller) => {
            record_use(&db, &caller).await;
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(refusal) => {
            let response = refusal.error_response();
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

/// Records the token's use (at most once a minute), as a write like any
/// other. A failure is logged and does not fail the request: a read should
/// still work while the database refuses writes.
async fn record_use(db: &Database, caller: &Caller) {
    if !caller.use_unrecorded() {
        return;
    }
    let recorded = caller.clone();
    let written = db
        .write(move |conn| tokens::record_use(conn, &recorded))
        .await;
    if let Err(err) = written {
        tracing::warn!(
            "could not record the use of API token {} ({:?}): {err:?}",
            caller.token.id,
            caller.token.name
        );
    }
}

async fn authorize(db: &Database, req: &ServiceRequest) -> Result<Caller, ApiError> {
    let Credentials::Bearer(presented) = credentials(req) else {
        return Err(ApiError::Unauthenticated {
            message: "this API needs an API token, sent as Authorization: Bearer <token>",
            presented: false,
        });
    };
    let presented = presented.to_owned();
    let caller = db
        .run(move |conn| tokens::authenticate(conn, &presented))
        .await?
        .ok_or(ApiError::Unauthenticated {
            message: "the API token is unknown, expired or revoked, or its account is deactivated",
            presented: true,
        })?;
    if !reads_only(req.method()) && !caller.may_write() {
        return Err(if caller.token.scope != Scope::Write {
            ApiError::Forbidden {
                message: format!(
                    "the API token {:?} has the read scope: changing records needs a token \
                     with the write scope",
                    caller.token.name
                ),
                scope: true,
            }
        } else {
            ApiError::Forbidden {
                message: format!(
                    "the account {} is a {}: changing records needs the editor or admin role",
                    caller.user.email, caller.user.role
                ),
                scope: false,
            }
        });
    }
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn with_header(value: &str) -> ServiceRequest {
        TestRequest::default()
            .insert_header((AUTHORIZATION, value))
            .to_srv_request()
    }

    #[test]
    fn only_a_bearer_header_with_a_token_carries_credentials() {
        assert_eq!(
            credentials(&TestRequest::default().to_srv_request()),
            Credentials::None
        );
        assert_eq!(
            credentials(&with_header("Bearer sr_abc")),
            Credentials::Bearer("sr_abc")
        );
        assert_eq!(
            credentials(&with_header("bearer  sr_abc ")),
            Credentials::Bearer("sr_abc")
        );
        for value in [
            "Basic YWRhOnB3",
            "Bearer",
            "Bearer ",
            "sr_abc",
            "Bearersr_abc",
        ] {
            assert_eq!(
                credentials(&with_header(value)),
                Credentials::None,
                "{value:?}"
            );
        }
        let twice = TestRequest::default()
            .append_header((AUTHORIZATION, "Bearer a"))
            .append_header((AUTHORIZATION, "Bearer b"))
            .to_srv_request();
        assert_eq!(credentials(&twice), Credentials::None);
    }
}
