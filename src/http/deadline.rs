//! Request bodies must arrive in time: a client trickling one byte a second
//! would otherwise hold its connection (and a file descriptor) for as long as
//! it likes. Past the deadline the request is answered 408 and the
//! connection closed.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest};
use futures_core::Stream;

use crate::config::DEFAULT_BODY_TIMEOUT;

/// How long a request body may take to arrive once the request's head has
/// (`BODY_TIMEOUT_SECS`); app data, set by `startup`.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// The body did not arrive within its deadline.
#[derive(Debug)]
pub struct BodyTooSlow;

/// Reads a body (`read`, an extractor's future) within the app's deadline.
pub fn read_within<F: Future>(
    req: &HttpRequest,
    read: F,
) -> impl Future<Output = Result<F::Output, BodyTooSlow>> + use<F> {
    let deadline = req
        .app_data::<BodyDeadline>()
        .map_or(DEFAULT_BODY_TIMEOUT, |deadline| deadline.0);
    async move {
        actix_web::rt::time::timeout(deadline, read)
            .await
            .map_err(|_| BodyTooSlow)
    }
}

/// Middleware: a request whose body was not read to its end (cut off at the
/// deadline, or never wanted) has its connection closed after the response.
///
/// actix closes such a connection itself when the body has a
/// `Content-Length`, but a chunked body whose reader was dropped is drained
/// to its end first, to reuse the connection: a client trickling chunks
/// would keep it forever, 408 or not. Holding the body's reader until the
/// response is sent makes actix treat it as unread and close instead.
pub async fn close_after_unread_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<HoldingBody>, actix_web::Error> {
    let body_handle = Rc::new(RefCell::new(req.take_payload()));
    req.set_payload(Payload::Stream {
        payload: Box::pin(SharedBody(Rc::clone(&body_handle))),
    });
    let response = next.call(req).await?;
    // actix decides once the response body has been sent; it goes with it.
    Ok(response.map_body(|_, body| HoldingBody {
        body: body.boxed(),
        _held: body_handle,
    }))
}

/// The request's body, read through a handle that the middleware shares.
struct SharedBody(Rc<RefCell<Payload>>);

impl Stream for SharedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_next(cx)
    }
}

/// A response body that keeps the request body's reader alive until it has
/// been sent.
pub struct HoldingBody {
    body: BoxBody,
    _held: Rc<RefCell<Payload>>,
}

impl MessageBody for HoldingBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}
