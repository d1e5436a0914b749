//! Which host names the app answers to, and the origin a request was made to.
//!
//! A page on an attacker's name that resolves to this server (DNS rebinding)
//! is same-origin with itself, so the browser lets it read and write here:
//! only the `Host` it sends gives it away. [`check_host`] refuses any host
//! not allowed before anything else (sessions, handlers) runs, and leaves the
//! request's [`RequestOrigin`] for the CSRF `Origin` check.
//!
//! Proxy headers (`Forwarded`, `X-Forwarded-Host`, `X-Forwarded-Proto`) are
//! read only with `TRUST_PROXY=true`: from any client they are a lie away.

use std::fmt;
use std::net::IpAddr;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::http::{Uri, Version};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, web};
use url::Host;

use crate::config::{AllowedHost, parse_authority};

/// The scheme, host and port a client addressed: what a browser puts in the
/// `Origin` of a form it submits from a page of this app.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestOrigin {
    pub https: bool,
    pub host: Host<String>,
    /// The port named, or the scheme's default.
    pub port: u16,
}

impl RequestOrigin {
    /// Whether an `Origin` header names this origin.
    pub fn is(&self, origin: &str) -> bool {
        let Ok(url) = url::Url::parse(origin) else {
            // Includes `Origin: null` (sandboxed frames, some redirects).
            return false;
        };
        let scheme = if self.https { "https" } else { "http" };
        url.scheme() == scheme
            && url.host().map(|host| host.to_owned()).as_ref() == Some(&self.host)
            && url.port_or_known_default() == Some(self.port)
    }
}

impl fmt::Display for RequestOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// The hosts the app answers to, and whether a proxy's headers are believed.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    allowed: Vec<AllowedHost>,
    trust_proxy: bool,
    /// The answer to a refused request, in the words of the face it was
    /// for (an HTML page or the API's JSON); `startup` knows both.
    refusal: fn(&HttpRequest) -> HttpResponse,
}

impl HostPolicy {
    /// Whether the proxy's `Forwarded` / `X-Forwarded-*` headers are believed
    /// (`TRUST_PROXY`).
    pub fn trusts_proxy(&self) -> bool {
        self.trust_proxy
    }

    /// `localhost`, `127.0.0.1`, `[::1]` and the address listened on, each
    /// on the port listened on, and then `extra` (`ALLOWED_HOSTS`).
    pub fn new(listen: IpAddr, port: u16, extra: &[AllowedHost], trust_proxy: bool) -> Self {
        let own = [
            Host::Domain("localhost".to_owned()),
            Host::Ipv4([127, 0, 0, 1].into()),
            Host::Ipv6(std::net::Ipv6Addr::LOCALHOST),
            match listen {
                IpAddr::V4(address) => Host::Ipv4(address),
                IpAddr::V6(address) => Host::Ipv6(address),
            },
        ];
        let mut allowed: Vec<AllowedHost> = own
            .into_iter()
            .map(|host| AllowedHost::new(host, Some(port)))
            .collect();
        allowed.extend_from_slice(extra);
        Self {
            allowed,
            trust_proxy,
            refusal: |_| HttpResponse::BadRequest().body("unknown host"),
        }
    }

    /// Answers refused requests with `refusal`'s response (a plain 400
    /// otherwise).
    pub fn refusing_with(self, refusal: fn(&HttpRequest) -> HttpResponse) -> Self {
        Self { refusal, ..self }
    }

    /// The origin the request was sent to, if it names one this app answers
    /// to. `Ok(None)`: an HTTP/1.0 request without `Host`, which names none.
    fn origin_of(
        &self,
        version: Version,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Option<RequestOrigin>, Refusal> {
        let forwarded = if self.trust_proxy {
            Forwarded::read(headers).ok_or(Refusal::Malformed)?
        } else {
            Forwarded::default()
        };
        // RFC 9112 §3.2.2: an absolute request target overrides `Host`.
        let authority = match (
            &forwarded.host,
            uri.authority(),
            single(headers, &header::HOST)?,
        ) {
            (Some(forwarded), _, _) => forwarded.clone(),
            (None, Some(authority), _) => authority.as_str().to_owned(),
            (None, None, Some(host)) => host.to_owned(),
            (None, None, None) if version <= Version::HTTP_10 => return Ok(None),
            (None, None, None) => return Err(Refusal::Missing),
        };
        let (host, port) =
            parse_authority(&authority).ok_or_else(|| Refusal::Unknown(authority.clone()))?;
        let https = forwarded.https;
        let port = port.unwrap_or(if https { 443 } else { 80 });
        if self.allowed.iter().any(|entry| entry.matches(&host, port)) {
            Ok(Some(RequestOrigin { https, host, port }))
        } else {
            Err(Refusal::Unknown(authority))
        }
    }
}

enum Refusal {
    Missing,
    Unknown(String),
    Malformed,
}

/// What the proxy in front says the client asked for, and who asked.
#[derive(Default)]
pub(super) struct Forwarded {
    host: Option<String>,
    https: bool,
    /// The address the proxy saw the request come from (`for=` or
    /// `X-Forwarded-For`), if it named one that is an address.
    pub(super) client: Option<IpAddr>,
}

impl Forwarded {
    /// The last value of each header: the one the proxy in front of the app
    /// added; earlier ones may have come from the client. A proxy speaks one
    /// family, `Forwarded` (RFC 7239) or `X-Forwarded-Host`/`-Proto`/`-For`,
    /// and may pass the other on from the client untouched, so when both are
    /// present they must say the same thing (`None`: refuse); mixing fields
    /// across them, or preferring either, would let a client's header stand
    /// in for the proxy's.
    pub(super) fn read(headers: &HeaderMap) -> Option<Self> {
        let forwarded = last_value(headers, &header::FORWARDED).map(forwarded_pairs);
        let from_forwarded = |name: &str| {
            forwarded.as_ref().and_then(|pairs| {
                pairs
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.clone())
            })
        };
        let from_x = |name: &'static str| {
            last_value(headers, &HeaderName::from_static(name)).map(str::to_owned)
        };
        let standard = (
            from_forwarded("host"),
            from_forwarded("proto"),
            from_forwarded("for"),
        );
        let legacy = (
            from_x("x-forwarded-host"),
            from_x("x-forwarded-proto"),
            from_x("x-forwarded-for"),
        );
        let has_legacy = ["x-forwarded-host", "x-forwarded-proto", "x-forwarded-for"]
            .iter()
            .any(|name| headers.contains_key(*name));
        let (host, proto, client) = match (forwarded.is_some(), has_legacy) {
            (true, true) if !same_forwarding(&standard, &legacy) => return None,
            (true, _) => standard,
            (false, _) => legacy,
        };
        Some(Self {
            host,
            https: proto.is_some_and(|proto| proto.eq_ignore_ascii_case("https")),
            client: client.as_deref().and_then(parse_node),
        })
    }
}

/// Host, scheme and client.
type Forwarding = (Option<String>, Option<String>, Option<String>);

/// Host and scheme agree, ignoring case, and the client is the same address
/// (`Forwarded` may quote it and add a port; `X-Forwarded-For` does neither).
fn same_forwarding(a: &Forwarding, b: &Forwarding) -> bool {
    let same = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        (None, None) => true,
        _ => false,
    };
    let same_client = match (&a.2, &b.2) {
        (Some(x), Some(y)) => match (parse_node(x), parse_node(y)) {
            (Some(x), Some(y)) => x == y,
            _ => x.eq_ignore_ascii_case(y),
        },
        (None, None) => true,
        _ => false,
    };
    same(&a.0, &b.0) && same(&a.1, &b.1) && same_client
}

/// The last comma-separated value of the last such header.
fn last_value<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    let value = headers.get_all(name).last()?.to_str().ok()?;
    split_outside_quotes(value, ',').pop().map(str::trim)
}

/// The `name=value` pairs of one `Forwarded` element, values unquoted.
fn forwarded_pairs(element: &str) -> Vec<(String, String)> {
    split_outside_quotes(element, ';')
        .into_iter()
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            let value = value.trim();
            let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
                None => value.to_owned(),
            };
            Some((name.trim().to_owned(), value))
        })
        .collect()
}

fn split_outside_quotes(value: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&value[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

/// A header that may appear at most once (RFC 9112 §3.2: two `Host`s are a 400).
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<Option<&'a str>, Refusal> {
    let mut values = headers.get_all(name);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Refusal::Malformed);
    }
    value.to_str().map(Some).map_err(|_| Refusal::Malformed)
}

/// Refuses, with a 400, a request whose `Host` (or missing `Host`, on
/// HTTP/1.1) names no host the app answers to; nothing else runs for it.
/// Otherwise leaves its [`RequestOrigin`] in the request's extensions.
pub async fn check_host(
    policy: web::Data<HostPolicy>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    match policy.origin_of(req.version(), req.uri(), req.headers()) {
        Ok(origin) => {
            if let Some(origin) = origin {
                req.extensions_mut().insert(origin);
            }
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(refusal) => {
            match &refusal {
                Refusal::Unknown(host) => {
                    tracing::warn!("refused a request for host {host:?}: not in ALLOWED_HOSTS");
                }
                Refusal::Missing => tracing::warn!("refused a request without a Host header"),
                Refusal::Malformed => tracing::warn!("refused a request with a malformed Host"),
            }
            let response = (policy.refusal)(req.request());
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests;
