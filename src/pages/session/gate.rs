//! The sign-in gate: every page but a few needs a signed-in, active account,
//! whose current role the handlers then check ([`SignedIn::require`]).

use std::future::{Ready, ready};

use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::{CREDENTIALS, credentials, preload, signed_in_as};
use std::net::IpAddr;

use crate::accounts::{self, Role, User, queries};
use crate::audit::Actor;
use crate::database::{Database, DbError};
use crate::http::client;
use crate::pages::AppError;

/// The signed-in account, as of this request (its role is read afresh on
/// every request, so a change of role takes effect at once).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Where this request came from, for the audit history.
    pub address: Option<IpAddr>,
}

impl SignedIn {
    fn new(user: User, address: Option<IpAddr>) -> Self {
        Self {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            address,
        }
    }

    /// Who makes a change, as the audit history records them.
    pub fn actor(&self) -> Actor {
        Actor::user(
            self.id,
            accounts::model::label(&self.display_name, &self.email),
            self.address.map(|address| address.to_string()),
        )
    }

    /// Refuses, with the styled 403, what needs a role above this account's.
    pub fn require(&self, needed: Role) -> Result<(), AppError> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(AppError::NotPermitted {
                role: self.role,
                needed,
            })
        }
    }

    pub fn may(&self, role: Role) -> bool {
        self.role >= role
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req.extensions().get::<SignedIn>().cloned().ok_or_else(|| {
            AppError::unexpected(anyhow::anyhow!(
                "a handler behind the sign-in gate found no signed-in account"
            ))
        }))
    }
}

/// Pages anyone may reach: signing in, and the first-run setup. (The
/// health check and the static files are served outside the sessions; see
/// [`crate::pages::configure_sessionless`].)
fn is_public(path: &str) -> bool {
    matches!(path, "/login/" | "/setup/")
}

/// Lets a request through only with a signed-in, active account; anyone
/// else goes to the sign-in page, which brings them back here after.
pub async fn require_sign_in(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if is_public(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let session = req.get_session();
    let user = match signed_in_as(&session) {
        // Read with the session, this request.
        Some(id) if let Some(user) = preload::take(id) => user,
        Some(id) => {
            let database = req
                .app_data::<web::Data<Database>>()
                .cloned()
                .ok_or_else(|| AppError::unexpected(anyhow::anyhow!("no database")))?;
            database
                .run(move |conn| queries::find_by_id(conn, id))
                .await
                .map_err(|err: DbError| AppError::from(err))?
        }
        None => None,
    };
    let signed_in_with = session.get::<String>(CREDENTIALS).ok().flatten();
    let current = |user: &User| {
        user.active && signed_in_with.as_deref() == Some(credentials(&user.password_hash).as_str())
    };
    match user.filter(current) {
        Some(user) => {
            let address = client::address(req.request());
            req.extensions_mut().insert(SignedIn::new(user, address));
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        None => {
            if signed_in_as(&session).is_some() {
                // An account that may no longer sign in, or a session signed
                // in with a password that is no longer the account's.
                session.purge();
            }
            let location = sign_in_url(&req);
            Ok(req.into_response(
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .finish(),
            ))
        }
    }
}

/// `/login/`, with the page asked for as `next` when going back to it
/// makes sense (a page, not a form's answer).
fn sign_in_url(req: &ServiceRequest) -> String {
    let wanted = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |target| target.as_str());
    if !matches!(*req.method(), Method::GET | Method::HEAD) || wanted == "/" {
        return "/login/".to_owned();
    }
    format!(
        "/login/?next={}",
        utf8_percent_encode(wanted, NON_ALPHANUMERIC)
    )
}

/// A signed-in account that may create, edit and delete records: a handler
/// that takes one answers everyone else with the styled 403.
#[derive(Debug, Clone)]
pub struct Editor(pub SignedIn);

impl FromRequest for Editor {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(with_role(req, payload, Role::Editor).map(Self))
    }
}

/// A signed-in admin, as [`Editor`] is an editor.
#[derive(Debug, Clone)]
pub struct Admin(pub SignedIn);

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(with_role(req, payload, Role::Admin).map(Self))
    }
}

fn with_role(req: &HttpRequest, payload: &mut Payload, role: Role) -> Result<SignedIn, AppError> {
    let user = SignedIn::from_request(req, payload).into_inner()?;
    user.require(role)?;
    Ok(user)
}
