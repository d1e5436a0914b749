//! `/static/`: the stylesheet and script, compiled into the binary (there is
//! no folder to ship or find at run time) and served under names that carry
//! a fingerprint of their content, `style.<hash>.css`, which pages link. Such
//! a name always means the same bytes, so any cache may keep it for a year
//! without asking again; a build that changes a file links a new name.
//!
//! The plain names (`/static/style.css`) still answer, but must be
//! revalidated (`no-cache`, by ETag): a page rendered by a binary from before
//! fingerprinting, during a rolling upgrade or left open in a tab, still gets
//! its stylesheet. Any other fingerprint is the styled 404: the name promises
//! bytes this build does not have.

use std::sync::OnceLock;

use actix_web::http::header::{CACHE_CONTROL, ETAG, Header, HeaderValue, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::AppError;

/// A file of `static/`, embedded at compile time.
pub struct Asset {
    /// Its name in `static/`: `style.css`.
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// Hashed once, on first use.
    fingerprint: OnceLock<Fingerprint>,
}

struct Fingerprint {
    /// The first ten hex digits of the content's SHA-256.
    hash: String,
    /// `/static/style.<hash>.css`.
    url: String,
    /// `W/"<hash>"`: weak, since the one file also goes out compressed.
    etag: HeaderValue,
}

pub static STYLE: Asset = Asset::new(
    "style.css",
    "text/css; charset=utf-8",
    include_bytes!("../../static/style.css"),
);

pub static SCRIPT: Asset = Asset::new(
    "app.js",
    "text/javascript; charset=utf-8",
    include_bytes!("../../static/app.js"),
);

/// Every file of `static/` (a test checks that none is left out).
static ALL: [&Asset; 2] = [&STYLE, &SCRIPT];

const PATH: &str = "/static/";

/// A fingerprinted name's bytes never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A plain name's bytes change with the build: ask each time, by ETag.
const REVALIDATE: &str = "no-cache";

impl Asset {
    const fn new(name: &'static str, content_type: &'static str, bytes: &'static [u8]) -> Self {
        Self {
            name,
            content_type,
            bytes,
            fingerprint: OnceLock::new(),
        }
    }

    /// The fingerprinted URL pages link: `/static/style.<hash>.css`.
    pub fn url(&self) -> &str {
        &self.fingerprint().url
    }

    /// `style.<hash>.css`.
    fn fingerprinted_name(&self) -> &str {
        &self.url()[PATH.len()..]
    }

    fn fingerprint(&self) -> &Fingerprint {
        self.fingerprint.get_or_init(|| {
            // Ten hex digits (40 bits) of SHA-256: short in a URL, and no two
            // versions of one file will ever share them by chance.
            let hash: String = Sha256::digest(self.bytes)
                .iter()
                .take(5)
                .map(|byte| format!("{byte:02x}"))
                .collect();
            let url = match self.name.rsplit_once('.') {
                Some((stem, extension)) => format!("{PATH}{stem}.{hash}.{extension}"),
                None => format!("{PATH}{}.{hash}", self.name),
            };
            // Weak: the same file goes out plain or compressed (zstd,
            // brotli, gzip), and a strong tag would claim the bytes are the
            // same.
            let etag = HeaderValue::from_str(&format!("W/\"{hash}\""))
                .expect("hex digits in quotes are a valid header value");
            Fingerprint { hash, url, etag }
        })
    }

    /// Whether `If-None-Match` names this content (compared weakly, as RFC
    /// 9110 asks for that header). A malformed header is ignored: the full
    /// answer is always correct.
    fn not_modified(&self, req: &HttpRequest) -> bool {
        match IfNoneMatch::parse(req) {
            Ok(IfNoneMatch::Any) => true,
            Ok(IfNoneMatch::Items(tags)) => {
                let hash = &self.fingerprint().hash;
                tags.iter().any(|tag| tag.tag() == hash)
            }
            Err(_) => false,
        }
    }
}

/// Mounts the embedded files at `/static/`; other methods than GET and HEAD
/// get the styled 405, unknown names the styled 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::page("/static/{name}", "GET, HEAD").route(super::read().to(serve)));
}

async fn serve(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let name = req.match_info().query("name");
    let (asset, caching) = ALL
        .iter()
        .find_map(|asset| {
            if name == asset.fingerprinted_name() {
                Some((asset, IMMUTABLE))
            } else if name == asset.name {
                Some((asset, REVALIDATE))
            } else {
                None
            }
        })
        .ok_or(AppError::NotFound)?;
    let not_modified = asset.not_modified(&req);
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((CACHE_CONTROL, caching))
        .insert_header((ETAG, asset.fingerprint().etag.clone()));
    Ok(if not_modified {
        response.finish()
    } else {
        response.content_type(asset.content_type).body(asset.bytes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_static_folder_is_embedded() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
        let mut on_disk: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<&str> = ALL.iter().map(|asset| asset.name).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn fingerprinted_names_keep_the_stem_and_extension() {
        let url = STYLE.url();
        let hash = url
            .strip_prefix("/static/style.")
            .and_then(|rest| rest.strip_suffix(".css"))
            .unwrap_or_else(|| panic!("{url}"));
        assert_eq!(hash.len(), 10);
        assert!(
            hash.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(STYLE.fingerprint().etag, format!("W/\"{hash}\"").as_str());
        assert_ne!(SCRIPT.url(), url);
    }
}
