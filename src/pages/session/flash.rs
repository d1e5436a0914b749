//! Flash messages ride in the session. The crate's own session store clears
//! them after every response, even when there were none, which marks the
//! session changed and would write it to the database on every request;
//! this one touches the session only when there is something to clear.

use actix_session::SessionExt;
use actix_web::HttpRequest;
use actix_web::dev::ResponseHead;
use actix_web_flash_messages::FlashMessage;
use actix_web_flash_messages::storage::{
    FlashMessageStore, LoadError, SessionMessageStore, StoreError,
};

/// The session entry [`SessionMessageStore::default`] keeps messages in.
const FLASH_KEY: &str = "_flash";

#[derive(Clone, Default)]
pub struct FlashStore(SessionMessageStore);

impl FlashMessageStore for FlashStore {
    fn load(&self, request: &HttpRequest) -> Result<Vec<FlashMessage>, LoadError> {
        self.0.load(request)
    }

    fn store(
        &self,
        messages: &[FlashMessage],
        request: HttpRequest,
        response: &mut ResponseHead,
    ) -> Result<(), StoreError> {
        if messages.is_empty() && !request.get_session().entries().contains_key(FLASH_KEY) {
            return Ok(());
        }
        self.0.store(messages, request, response)
    }
}
