//! Response compression: actix-http's encoders, with the encoding chosen in
//! our order. actix-web's `Compress` ranks brotli first whenever a client
//! offers several encodings at the same weight, as every browser does
//! (`gzip, deflate, br, zstd`). At the fixed settings actix-http compresses
//! with, brotli added nearly twice what zstd adds to a page's cost, for a
//! size within 4% either way (bench/RESULTS.md), so zstd comes first, then
//! brotli (for clients without zstd, such as Safari), then gzip.

use actix_http::encoding::Encoder;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    self, AcceptEncoding, ContentEncoding, Encoding, HeaderValue, Preference, Quality,
};
use actix_web::middleware::Next;
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
) -> Result<ServiceResponse<EitherBody<Encoder<impl MessageBody>>>, Error> {
    // A header that does not parse is treated as absent, as `Compress` does.
    let accepted = req.get_header::<AcceptEncoding>();
    let Some(encoding) = choose(accepted.as_ref()) else {
        let mut refused = HttpResponse::NotAcceptable().body("zstd, br, gzip, deflate, identity");
        refused
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        return Ok(req.into_response(refused).map_into_right_body());
    };
    let response = next.call(req).await?;
    Ok(response
        .map_body(|head, body| {
            let encoding = if worth_compressing(head.headers.get(header::CONTENT_TYPE)) {
                encoding
            } else {
                ContentEncoding::Identity
            };
            // Sets Content-Encoding and Vary when it compresses; leaves
            // empty bodies, 204s and already-encoded bodies alone.
            Encoder::response(encoding, head, body)
        })
        .map_into_left_body())
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
