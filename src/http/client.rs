//! The client's address: the connection's peer, or, behind a trusted proxy
//! (`TRUST_PROXY`), the address that proxy says it saw. Only the entry the
//! proxy itself added (the last one) is believed; the ones before it are
//! whatever the client chose to send. Which header family that entry is read
//! from is settled as for the host (`hosts::Forwarded::read`): the family the
//! proxy does not speak may be the client's own.

use std::net::IpAddr;

use actix_web::{HttpRequest, web};

use super::hosts::{Forwarded, HostPolicy};

pub fn address(req: &HttpRequest) -> Option<IpAddr> {
    let trusted = req
        .app_data::<web::Data<HostPolicy>>()
        .is_some_and(|policy| policy.trusts_proxy());
    let peer = req.peer_addr().map(|addr| addr.ip());
    if !trusted {
        return peer;
    }
    // No usable entry (`for=unknown`, none at all, or families that disagree,
    // which the host check refuses anyway): the proxy's own address at least
    // is not the client's invention.
    Forwarded::read(req.headers())
        .and_then(|forwarded| forwarded.client)
        .or(peer)
}

#[cfg(test)]
mod tests {
    use super::{HostPolicy, address};
    use actix_web::test::TestRequest;
    use actix_web::web;

    const PEER: &str = "10.0.0.7";

    /// The client address of a request from [`PEER`] with these headers.
    fn address_of(trust_proxy: bool, headers: &[(&str, &str)]) -> Option<String> {
        let policy = HostPolicy::new([127, 0, 0, 1].into(), 8000, &[], trust_proxy);
        let mut request = TestRequest::default()
            .peer_addr(format!("{PEER}:50000").parse().expect("a socket address"))
            .app_data(web::Data::new(policy));
        for &(name, value) in headers {
            request = request.append_header((name, value));
        }
        address(&request.to_http_request()).map(|ip| ip.to_string())
    }

    #[test]
    fn the_proxys_entry_is_read_from_either_family() {
        for (headers, expected) in [
            (&[("forwarded", "for=192.0.2.1")][..], "192.0.2.1"),
            (&[("forwarded", "For=192.0.2.1;proto=https")], "192.0.2.1"),
            (&[("forwarded", "proto=https;FOR=192.0.2.1")], "192.0.2.1"),
            (
                &[("forwarded", "for=\"[2001:db8::1]:4711\"")],
                "2001:db8::1",
            ),
            (&[("forwarded", "for=\"[2001:db8::1]\"")], "2001:db8::1"),
            (
                &[("forwarded", "for=198.51.100.1, for=\"192.0.2.1:4711\"")],
                "192.0.2.1",
            ),
            (
                &[("x-forwarded-for", "198.51.100.1, 192.0.2.1")],
                "192.0.2.1",
            ),
            (&[("x-forwarded-for", "2001:db8::1")], "2001:db8::1"),
            // Both families naming the same client are one proxy's word.
            (
                &[
                    ("x-forwarded-for", "2001:db8::1"),
                    ("forwarded", "for=\"[2001:db8::1]:4711\""),
                ],
                "2001:db8::1",
            ),
        ] {
            assert_eq!(
                address_of(true, headers).as_deref(),
                Some(expected),
                "{headers:?}"
            );
            assert_eq!(
                address_of(false, headers).as_deref(),
                Some(PEER),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn without_a_usable_entry_in_the_proxys_family_the_peer_is_the_client() {
        for headers in [
            &[][..],
            &[("forwarded", "for=unknown")],
            &[("forwarded", "for=_hidden;proto=https")],
            &[("forwarded", "proto=https")],
            &[("forwarded", "for=\"[2001:db8::1\"")],
            &[("x-forwarded-for", "unknown")],
            // The proxy speaks X-Forwarded-*; the client sent Forwarded: the
            // proxy's family has no client, and the client's is not read.
            &[
                ("x-forwarded-proto", "https"),
                ("forwarded", "for=198.51.100.66;proto=https"),
            ],
            // The proxy's X-Forwarded-For and the client's Forwarded disagree.
            &[
                ("x-forwarded-for", "192.0.2.1"),
                ("forwarded", "for=198.51.100.66"),
            ],
            // The proxy speaks Forwarded, naming no client; the client sent
            // X-Forwarded-For.
            &[
                ("forwarded", "proto=https"),
                ("x-forwarded-for", "198.51.100.66"),
            ],
        ] {
            assert_eq!(
                address_of(true, headers).as_deref(),
                Some(PEER),
                "{headers:?}"
            );
        }
    }
}
