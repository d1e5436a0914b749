//! Flash messages ("Student Sammy Shark added") ride in a cookie of their
//! own, encrypted and authenticated with the app's key, rather than in the
//! session on the server: showing one after a redirect then costs no
//! database write to store it and none to clear it. (A create used to make
//! two writes, the student and the session's message; with writes grouped
//! into commits, each costs the one writer thread.)
//!
//! Encrypted, not just signed: a message may name a student. The crate's own
//! cookie store signs only, and always marks its cookie `Secure`, which
//! browsers drop on plain-HTTP addresses other than localhost; this one is
//! `Secure` exactly when the session cookie is (`COOKIE_SECURE`).

use actix_web::HttpRequest;
use actix_web::cookie::time::Duration;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::ResponseHead;
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web_flash_messages::FlashMessage;
use actix_web_flash_messages::storage::{FlashMessageStore, LoadError, StoreError};
use chrono::Utc;
use serde::{Deserialize, Serialize};

/// Browsers keep cookies up to 4096 bytes, name and attributes included.
const MAX_VALUE_BYTES: usize = 3800;

#[derive(Clone)]
pub struct FlashStore {
    key: Key,
    secure: bool,
}

impl FlashStore {
    pub fn new(key: Key, secure: bool) -> Self {
        Self { key, secure }
    }

    /// `__Host-` as the session cookie's (see [`super::cookie_name`]).
    fn cookie_name(&self) -> &'static str {
        if self.secure {
            "__Host-registry_flash"
        } else {
            "registry_flash"
        }
    }

    fn cookie(&self, value: String) -> Cookie<'static> {
        Cookie::build(self.cookie_name(), value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish()
    }

    /// The cookie carrying `messages`, encrypted with the time they were
    /// sent; `None` if they do not fit.
    fn encode(&self, messages: &[FlashMessage]) -> Option<Cookie<'static>> {
        let sent = Sent {
            at: Utc::now().timestamp(),
            messages,
        };
        let json = serde_json::to_string(&sent).ok()?;
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key).add(self.cookie(json));
        let encrypted = jar.get(self.cookie_name())?.value().to_owned();
        (encrypted.len() <= MAX_VALUE_BYTES).then(|| self.cookie(encrypted))
    }

    /// The messages, unless the cookie does not decrypt or is older than
    /// [`SHOWN_WITHIN`]: a copied cookie replayed later shows nothing.
    fn decode(&self, request: &HttpRequest) -> Option<Vec<FlashMessage>> {
        let cookie = request.cookie(self.cookie_name())?;
        let mut jar = CookieJar::new();
        jar.add_original(cookie);
        let decrypted = jar.private(&self.key).get(self.cookie_name())?;
        let received: Received = serde_json::from_str(decrypted.value()).ok()?;
        let age = Utc::now().timestamp().saturating_sub(received.at);
        // A minute's leeway for clocks of several instances that differ.
        (-60..=SHOWN_WITHIN_SECS)
            .contains(&age)
            .then_some(received.messages)
    }
}

/// A message is for the page its redirect leads to, seconds later.
const SHOWN_WITHIN_SECS: i64 = 10 * 60;

#[derive(Serialize)]
struct Sent<'a> {
    /// Seconds since 1970.
    at: i64,
    messages: &'a [FlashMessage],
}

#[derive(Deserialize)]
struct Received {
    at: i64,
    messages: Vec<FlashMessage>,
}

/// `messages` cut to fit a cookie together: each gets an equal share of the
/// room and, if longer, ends with a note that it was cut. Kept rather than
/// dropped: one may be the error a form's answer depends on. (Only a batch
/// enrolment of many students writes such long ones: it names each.)
fn shortened(messages: &[FlashMessage]) -> Vec<FlashMessage> {
    const CUT: &str = "… (too long to show in full)";
    // Encryption and base64 make the cookie about 4/3 of the JSON, plus the
    // nonce, the tag and the JSON around each message.
    let room = (MAX_VALUE_BYTES * 3 / 4 - 200) / messages.len().max(1);
    messages
        .iter()
        .map(|message| {
            let content = message.content();
            if content.len() <= room {
                return message.clone();
            }
            let mut budget = room.saturating_sub(CUT.len());
            let kept: String = content
                .chars()
                .take_while(|&character| {
                    // Its size in the JSON: escaped, a control character
                    // takes 6 bytes (`\u0001`), a quote or backslash 2.
                    let size = match character {
                        '"' | '\\' => 2,
                        character if character.is_control() => 6,
                        character => character.len_utf8(),
                    };
                    budget = budget.saturating_sub(size);
                    budget > 0
                })
                .collect();
            FlashMessage::new(format!("{kept}{CUT}"), message.level())
        })
        .collect()
}

impl FlashMessageStore for FlashStore {
    /// A cookie that does not decrypt (another key, tampered with) holds no
    /// messages, and is cleared with the response like any other.
    fn load(&self, request: &HttpRequest) -> Result<Vec<FlashMessage>, LoadError> {
        Ok(self.decode(request).unwrap_or_default())
    }

    /// Never fails: the crate panics on a store error, and a message is not
    /// worth a failed response.
    fn store(
        &self,
        messages: &[FlashMessage],
        request: HttpRequest,
        response: &mut ResponseHead,
    ) -> Result<(), StoreError> {
        let outgoing = if messages.is_empty() {
            None
        } else {
            let cookie = self
                .encode(messages)
                .or_else(|| self.encode(&shortened(messages)));
            if cookie.is_none() {
                tracing::warn!("flash messages too long for their cookie; not shown");
            }
            cookie
        };
        let cookie = match outgoing {
            Some(cookie) => cookie,
            // Shown once: a request that brought messages clears them.
            None if request.cookie(self.cookie_name()).is_some() => {
                let mut removal = self.cookie(String::new());
                removal.make_removal();
                removal.set_max_age(Duration::ZERO);
                removal
            }
            None => return Ok(()),
        };
        match HeaderValue::from_str(&cookie.encoded().to_string()) {
            Ok(value) => {
                response.headers_mut().append(SET_COOKIE, value);
            }
            Err(err) => tracing::warn!("cannot set the flash cookie: {err}"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::HttpResponse;
    use actix_web::test::TestRequest;
    use actix_web_flash_messages::Level;

    use super::*;

    fn store() -> FlashStore {
        FlashStore::new(Key::generate(), false)
    }

    /// The Set-Cookie `store` adds for `messages`, answering `request`.
    fn stored(
        store: &FlashStore,
        messages: &[FlashMessage],
        request: HttpRequest,
    ) -> Option<Cookie<'static>> {
        let mut response = HttpResponse::Ok().finish();
        store
            .store(messages, request, response.head_mut())
            .expect("never fails");
        let header = response.headers().get(SET_COOKIE)?;
        Some(Cookie::parse_encoded(header.to_str().expect("ASCII").to_owned()).expect("a cookie"))
    }

    #[test]
    fn a_message_comes_back_once_and_is_unreadable_on_the_way() {
        let store = store();
        let message = FlashMessage::new("Student Sammy Shark added".into(), Level::Success);
        let cookie =
            stored(&store, &[message], TestRequest::default().to_http_request()).expect("a cookie");
        assert_eq!(cookie.name(), "registry_flash");
        assert!(!cookie.value().contains("Sammy"), "encrypted: {cookie}");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.path(), Some("/"));

        let next = TestRequest::default().cookie(cookie).to_http_request();
        let loaded = store.load(&next).expect("loaded");
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].content(), "Student Sammy Shark added");
        assert_eq!(loaded[0].level(), Level::Success);
        let removal = stored(&store, &[], next).expect("cleared after showing");
        assert_eq!(removal.max_age(), Some(Duration::ZERO));
        assert!(removal.value().is_empty());
    }

    #[test]
    fn a_request_without_messages_sets_no_cookie() {
        assert!(stored(&store(), &[], TestRequest::default().to_http_request()).is_none());
    }

    #[test]
    fn a_cookie_from_another_key_or_tampered_with_holds_nothing() {
        let message = FlashMessage::new("Planted".into(), Level::Error);
        let planted = stored(
            &store(),
            &[message],
            TestRequest::default().to_http_request(),
        )
        .expect("a cookie");
        let store = store();
        let request = TestRequest::default().cookie(planted).to_http_request();
        assert!(store.load(&request).expect("no error").is_empty());
        let plain = Cookie::new("registry_flash", r#"[{"content":"x","level":"Error"}]"#);
        let request = TestRequest::default().cookie(plain).to_http_request();
        assert!(store.load(&request).expect("no error").is_empty());
    }

    #[test]
    fn messages_too_long_for_a_cookie_are_shortened_not_dropped() {
        let store = store();
        let names: Vec<String> = (0..200)
            .map(|n| format!("Student Number{n} Ålesund-Ørsted"))
            .collect();
        let messages = [
            FlashMessage::new(
                format!("Enrolled in BIO-101: {}.", names.join(", ")),
                Level::Success,
            ),
            FlashMessage::new(
                "Not enrolled, BIO-101 is full (30 seats): Ann Lee.".into(),
                Level::Error,
            ),
        ];
        let cookie = stored(&store, &messages, TestRequest::default().to_http_request())
            .expect("a cookie, however long the messages");
        assert!(
            cookie.encoded().to_string().len() < 4096,
            "fits a browser's limit"
        );

        let next = TestRequest::default().cookie(cookie).to_http_request();
        let loaded = store.load(&next).expect("loaded");
        assert_eq!(loaded.len(), 2);
        assert!(
            loaded[0]
                .content()
                .starts_with("Enrolled in BIO-101: Student Number0 Ålesund-Ørsted, ")
        );
        assert!(
            loaded[0]
                .content()
                .ends_with("… (too long to show in full)"),
            "{}",
            loaded[0].content()
        );
        assert_eq!(
            loaded[1].content(),
            messages[1].content(),
            "the short one is whole"
        );
        assert_eq!(loaded[1].level(), Level::Error);
    }

    #[test]
    fn a_cookie_replayed_long_after_shows_nothing() {
        let store = store();
        let old = format!(
            r#"{{"at":{},"messages":[{{"content":"Student Sammy Shark added","level":"Success"}}]}}"#,
            Utc::now().timestamp() - SHOWN_WITHIN_SECS - 1
        );
        let mut jar = CookieJar::new();
        jar.private_mut(&store.key).add(store.cookie(old));
        let replayed = jar.get("registry_flash").expect("encrypted").clone();
        let request = TestRequest::default().cookie(replayed).to_http_request();
        assert!(store.load(&request).expect("no error").is_empty());
        let removal = stored(&store, &[], request).expect("and cleared");
        assert_eq!(removal.max_age(), Some(Duration::ZERO));
    }

    #[test]
    fn with_secure_cookies_it_is_a_secure_host_only_cookie() {
        let store = FlashStore::new(Key::generate(), true);
        let message = FlashMessage::new("Saved".into(), Level::Success);
        let cookie =
            stored(&store, &[message], TestRequest::default().to_http_request()).expect("a cookie");
        assert_eq!(cookie.name(), "__Host-registry_flash");
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.domain(), None);
    }
}
