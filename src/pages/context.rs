//! What every full page needs besides its own content: the flash messages to
//! show once, and the CSRF token its forms carry.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use actix_web_flash_messages::{IncomingFlashMessages, Level};

use super::csrf;
use super::session::SignedIn;
use crate::accounts::Role;

#[derive(Debug, Default)]
pub struct Page {
    pub flashes: Vec<Flash>,
    pub csrf_token: String,
    /// Who is signed in: the header names them, and the page shows only the
    /// buttons their role may use.
    pub user: Option<SignedIn>,
}

impl Page {
    /// Whether the signed-in account may create, edit and delete records.
    pub fn can_edit(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|user| user.may(Role::Editor))
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|user| user.may(Role::Admin))
    }
}

#[derive(Debug)]
pub struct Flash {
    /// A CSS modifier: `success`, `info`, `warning` or `error`.
    pub kind: &'static str,
    pub text: String,
}

impl FromRequest for Page {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let messages = IncomingFlashMessages::extract(&req).await?;
            let flashes = messages
                .iter()
                .map(|message| Flash {
                    kind: match message.level() {
                        Level::Success => "success",
                        Level::Warning => "warning",
                        Level::Error => "error",
                        Level::Debug | Level::Info => "info",
                    },
                    text: message.content().to_owned(),
                })
                .collect();
            let csrf_token = csrf::token(&req.get_session())?;
            Ok(Page {
                flashes,
                csrf_token,
                user: req.extensions().get::<SignedIn>().cloned(),
            })
        })
    }
}
