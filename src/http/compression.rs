//! Response compression, with the encoding chosen in our order and the
//! work done at actix-http's levels. actix-web's `Compress` ranks brotli first whenever a client
//! offers several encodings at the same weight, as every browser does
//! (`gzip, deflate, br, zstd`). At the fixed settings actix-http compresses
//! with, brotli added nearly twice what zstd adds to a page's cost, for a
//! size within 4% either way (bench/RESULTS.md), so zstd comes first, then
//! brotli (for clients without zstd, such as Safari), then gzip.
//!
//! zstd (what browsers get) and brotli (what Safari gets) are done here, in
//! one call per page with the page's size known (see [`in_one_call`]); gzip
//! and deflate, and any body too big or not in one piece, go through
//! actix-http's streaming encoders.

use std::cell::RefCell;

use actix_http::encoding::Encoder;
use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{ResponseHead, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, AcceptEncoding, ContentEncoding, Encoding, HeaderValue, Preference, Quality,
};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse};

/// The encodings offered, best first. Identity is last: at an equal weight
/// any of these is better than none.
const PREFERENCE: [ContentEncoding; 5] = [
    ContentEncoding::Zstd,
    ContentEncoding::Brotli,
    ContentEncoding::Gzip,
    ContentEncoding::Deflate,
    ContentEncoding::Identity,
];

/// Compresses each response as the request's `Accept-Encoding` allows, or
/// answers 406 when it allows nothing we can send (`identity;q=0` alone).
pub async fn compress(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<EitherBody<Encoder<impl MessageBody>, Bytes>>>, Error> {
    // A header that does not parse is treated as absent, as `Compress` does.
    let accepted = req.get_header::<AcceptEncoding>();
    let Some(encoding) = choose(accepted.as_ref()) else {
        let mut refused = HttpResponse::NotAcceptable().body("zstd, br, gzip, deflate, identity");
        refused
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        return Ok(req.into_response(refused).map_into_right_body());
    };
    let mut response = next.call(req).await?;
    let encoding = if worth_compressing(response.headers().get(header::CONTENT_TYPE)) {
        encoding
    } else {
        ContentEncoding::Identity
    };
    if matches!(encoding, ContentEncoding::Zstd | ContentEncoding::Brotli)
        && may_encode(response.response().head())
    {
        let (req, parts) = response.into_parts();
        let (mut head, body) = parts.into_parts();
        match whole_body(body) {
            Ok(bytes) => {
                let sent = match in_one_call(encoding, &bytes) {
                    Some(compressed) => {
                        let headers = head.headers_mut();
                        headers.insert(header::CONTENT_ENCODING, encoding.to_header_value());
                        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
                        compressed
                    }
                    // Only running out of memory fails there; the page then
                    // goes uncompressed, which every client takes unless it
                    // refused identity.
                    None => bytes,
                };
                let response = ServiceResponse::new(req, head.set_body(sent));
                return Ok(response
                    .map_body(|_, body| EitherBody::right(body))
                    .map_into_left_body());
            }
            Err(body) => response = ServiceResponse::new(req, head.set_body(body)),
        }
    }
    Ok(response
        // Sets Content-Encoding and Vary when it compresses; leaves empty
        // bodies, 204s and already-encoded bodies alone.
        .map_body(|head, body| EitherBody::left(Encoder::response(encoding, head, body)))
        .map_into_left_body())
}

/// The largest body compressed in one piece, on the async worker, as
/// tower-http's compression does: the 100-row index (120 kB) costs about
/// 0.1 ms more with zstd and 0.4 ms with brotli. Bigger or streamed bodies go
/// through actix-http's streaming encoder, on the blocking pool. Compressing
/// there too was tried: each blocking thread then kept a context of its
/// own, up to twenty at once, and the peak memory under compressed load was
/// 56 MiB against 45 on the workers (bench/RESULTS.md).
const ONE_CALL_LIMIT: usize = 256 * 1024;

/// zstd's level and brotli's quality: actix-http's, so sizes are as before.
const ZSTD_LEVEL: i32 = 3;
const BROTLI_QUALITY: u32 = 3;

thread_local! {
    /// One zstd context per thread, reused. actix-http's streaming encoders
    /// made a new one for every response, zstd's and brotli's each sized
    /// for a whole window (megabytes, allocated and cleared each time) as
    /// the body's size was not given: 32 connections receiving compressed
    /// index pages took the peak memory from 43 to 58-63 MiB, and a zstd
    /// page cost half as much again as one uncompressed (bench/RESULTS.md).
    /// Told the size, zstd sizes its tables to the body.
    static ZSTD: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

/// Whether a response may be given a content encoding: not one that has one,
/// nor a protocol switch, a 204 or a partial body (as actix-http decides).
fn may_encode(head: &ResponseHead) -> bool {
    !(head.headers().contains_key(header::CONTENT_ENCODING)
        || matches!(
            head.status,
            StatusCode::SWITCHING_PROTOCOLS | StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT
        ))
}

/// The body in one piece, if it is one of at most [`ONE_CALL_LIMIT`]
/// bytes and not empty; else the body back, untouched.
fn whole_body<B: MessageBody>(body: B) -> Result<Bytes, B> {
    match body.size() {
        BodySize::Sized(size) if size > 0 && size <= ONE_CALL_LIMIT as u64 => body.try_into_bytes(),
        _ => Err(body),
    }
}

/// `bytes` compressed with zstd or brotli in one call; `None` if that
/// failed.
fn in_one_call(encoding: ContentEncoding, bytes: &[u8]) -> Option<Bytes> {
    compress_bytes(encoding, bytes).ok().map(|mut compressed| {
        // zstd reserves room for the whole body: keep only what is used
        // while the response waits to be sent.
        compressed.shrink_to_fit();
        Bytes::from(compressed)
    })
}

/// zstd with this thread's context, or brotli; anything else is not done
/// in one call.
fn compress_bytes(encoding: ContentEncoding, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    match encoding {
        ContentEncoding::Zstd => ZSTD.with_borrow_mut(|context| {
            let context = match context {
                Some(context) => context,
                None => context.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
            };
            context.compress(bytes)
        }),
        ContentEncoding::Brotli => brotli_in_one_call(bytes),
        _ => Err(std::io::Error::other(
            "only zstd and brotli are done in one call",
        )),
    }
}

/// Brotli at actix-http's quality, with a window only as big as the body
/// (actix-http's streaming encoder keeps 4 MiB of window for any body).
fn brotli_in_one_call(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut writer = brotli::CompressorWriter::new(
        Vec::with_capacity(bytes.len() / 4),
        4096,
        BROTLI_QUALITY,
        brotli_window(bytes.len()),
    );
    writer.write_all(bytes)?;
    // Finishes the stream.
    Ok(writer.into_inner())
}

/// The smallest brotli window (`lgwin`) that holds `len` bytes: it holds
/// 2^lgwin - 16; 10 to 24 are allowed.
fn brotli_window(len: usize) -> u32 {
    let mut lgwin = 10;
    while lgwin < 24 && (1usize << lgwin) - 16 < len {
        lgwin += 1;
    }
    lgwin
}

/// The encoding to send: the highest weight the client gives any encoding
/// we have, ties broken by [`PREFERENCE`] (RFC 9110, section 12.5.3). No
/// header: identity. `None`: nothing acceptable.
fn choose(accepted: Option<&AcceptEncoding>) -> Option<ContentEncoding> {
    let Some(AcceptEncoding(items)) = accepted else {
        return Some(ContentEncoding::Identity);
    };
    // An empty header asks for no encoding.
    if items.is_empty() {
        return Some(ContentEncoding::Identity);
    }
    let weight_of = |encoding: ContentEncoding| -> Quality {
        // Named twice (`gzip;q=0, gzip`): the higher weight counts.
        let named = |wanted: &Preference<Encoding>| {
            items
                .iter()
                .filter(|item| &item.item == wanted)
                .map(|item| item.quality)
                .max()
        };
        named(&Preference::Specific(Encoding::Known(encoding)))
            .or_else(|| named(&Preference::Any))
            .unwrap_or(if encoding == ContentEncoding::Identity {
                // Identity is acceptable unless excluded, by name or by `*`,
                // but unnamed it has no weight of its own: it is what is
                // sent when nothing named can be (`gzip;q=0.5` gets gzip).
                Quality::MIN
            } else {
                Quality::ZERO
            })
    };
    let mut best: Option<(ContentEncoding, Quality)> = None;
    for encoding in PREFERENCE {
        let weight = weight_of(encoding);
        if weight > Quality::ZERO && best.is_none_or(|(_, top)| weight > top) {
            best = Some((encoding, weight));
        }
    }
    best.map(|(encoding, _)| encoding)
}

/// Everything but images and video, which are compressed already (an SVG
/// is text).
fn worth_compressing(content_type: Option<&HeaderValue>) -> bool {
    let Some(content_type) = content_type.map(HeaderValue::as_bytes) else {
        return true;
    };
    // Media types are case-insensitive; compared without a lowered copy, as
    // this runs for every response.
    let is = |prefix: &str| {
        content_type
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    !(is("video/") || is("image/") && !is("image/svg+xml"))
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::Header;

    use super::*;

    fn chosen(header: Option<&str>) -> Option<ContentEncoding> {
        let request = match header {
            Some(value) => actix_web::test::TestRequest::default()
                .insert_header((header::ACCEPT_ENCODING, value))
                .to_http_request(),
            None => actix_web::test::TestRequest::default().to_http_request(),
        };
        choose(AcceptEncoding::parse(&request).ok().as_ref())
    }

    #[test]
    fn a_browser_gets_zstd_then_brotli_then_gzip() {
        use ContentEncoding::*;
        assert_eq!(chosen(Some("gzip, deflate, br, zstd")), Some(Zstd));
        assert_eq!(chosen(Some("gzip, deflate, br")), Some(Brotli));
        assert_eq!(chosen(Some("gzip, deflate")), Some(Gzip));
        assert_eq!(chosen(Some("*")), Some(Zstd));
    }

    #[test]
    fn weights_come_before_our_order() {
        use ContentEncoding::*;
        assert_eq!(chosen(Some("zstd;q=0.5, br")), Some(Brotli));
        assert_eq!(chosen(Some("zstd;q=0, *")), Some(Brotli));
        assert_eq!(chosen(Some("gzip;q=0.2, identity;q=0.5")), Some(Identity));
        assert_eq!(chosen(Some("compress")), Some(Identity));
        // An unnamed identity loses to anything named with a weight.
        assert_eq!(chosen(Some("gzip;q=0.5")), Some(Gzip));
        assert_eq!(chosen(Some("br;q=0.9, gzip;q=0.8")), Some(Brotli));
        assert_eq!(chosen(Some("gzip;q=0, gzip")), Some(Gzip));
    }

    #[test]
    fn identity_unless_excluded() {
        use ContentEncoding::*;
        assert_eq!(chosen(None), Some(Identity));
        assert_eq!(chosen(Some("")), Some(Identity));
        assert_eq!(chosen(Some("identity;q=0")), None);
        assert_eq!(chosen(Some("*;q=0")), None);
        assert_eq!(chosen(Some("*;q=0, identity")), Some(Identity));
    }

    fn head(status: StatusCode) -> ResponseHead {
        ResponseHead::new(status)
    }

    #[test]
    fn zstd_pages_decode_to_themselves_with_the_threads_context_reused() {
        let page = "<tr><td>Sammy Shark</td></tr>\n".repeat(200);
        let other = "<tr><td>Ada Rossi</td><td>Oslo</td></tr>\n".repeat(500);
        let first = compress_bytes(ContentEncoding::Zstd, page.as_bytes()).expect("zstd");
        assert!(first.len() < page.len() / 10, "{} bytes", first.len());
        let second = compress_bytes(ContentEncoding::Zstd, other.as_bytes()).expect("zstd");
        let third = compress_bytes(ContentEncoding::Zstd, page.as_bytes()).expect("zstd");
        assert_eq!(zstd::decode_all(&first[..]).expect("zstd"), page.as_bytes());
        assert_eq!(
            zstd::decode_all(&second[..]).expect("zstd"),
            other.as_bytes()
        );
        assert_eq!(third, first, "a used context compresses as a new one");
    }

    #[test]
    fn brotli_pages_decode_to_themselves() {
        use std::io::Read;
        for size in [1, 1_009, 33_000, ONE_CALL_LIMIT] {
            let page: String = "Sammy Shark, Oslo. ".chars().cycle().take(size).collect();
            let sent = compress_bytes(ContentEncoding::Brotli, page.as_bytes()).expect("br");
            let mut decoded = Vec::new();
            brotli::Decompressor::new(&sent[..], 4096)
                .read_to_end(&mut decoded)
                .expect("brotli");
            assert_eq!(decoded, page.as_bytes(), "{size} bytes");
        }
        assert!(compress_bytes(ContentEncoding::Gzip, b"page").is_err());
    }

    #[test]
    fn brotli_windows_are_the_smallest_that_hold_the_body() {
        assert_eq!(brotli_window(0), 10);
        assert_eq!(brotli_window(1_008), 10);
        assert_eq!(brotli_window(1_009), 11);
        assert_eq!(brotli_window(33_000), 16);
        assert_eq!(brotli_window(ONE_CALL_LIMIT), 19);
        assert_eq!(brotli_window(usize::MAX), 24);
    }

    #[test]
    fn empty_oversized_and_streamed_bodies_are_left_to_the_streaming_encoder() {
        assert_eq!(
            whole_body("page".to_owned()),
            Ok(Bytes::from_static(b"page"))
        );
        assert!(whole_body(String::new()).is_err());
        let big = "x".repeat(ONE_CALL_LIMIT + 1);
        assert_eq!(whole_body(big.clone()), Err(big));
        let streamed =
            actix_web::body::BodyStream::new(futures::stream::iter([Ok::<_, std::io::Error>(
                Bytes::from_static(b"chunk"),
            )]));
        assert!(whole_body(streamed).is_err());
    }

    #[test]
    fn encoded_bodies_204s_and_partial_bodies_are_not_encoded_again() {
        assert!(may_encode(&head(StatusCode::OK)));
        assert!(!may_encode(&head(StatusCode::NO_CONTENT)));
        assert!(!may_encode(&head(StatusCode::PARTIAL_CONTENT)));
        let mut encoded = head(StatusCode::OK);
        encoded
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(!may_encode(&encoded));
    }

    #[test]
    fn images_and_video_are_sent_as_they_are() {
        let worth = |value: &'static str| worth_compressing(Some(&HeaderValue::from_static(value)));
        assert!(worth("text/html; charset=utf-8"));
        assert!(worth("application/json"));
        assert!(worth("image/svg+xml"));
        assert!(!worth("image/png"));
        assert!(!worth("video/mp4"));
        assert!(!worth("Image/PNG"));
        assert!(worth("IMAGE/SVG+XML"));
        assert!(worth_compressing(None));
    }
}
