//! The client's address: the connection's peer, or, behind a trusted proxy
//! (`TRUST_PROXY`), the address that proxy says it saw. Only the entry the
//! proxy itself added (the last one) is believed; the ones before it are
//! whatever the client chose to send.

use std::net::IpAddr;

use actix_web::{HttpRequest, web};

use super::hosts::HostPolicy;

pub fn address(req: &HttpRequest) -> Option<IpAddr> {
    let trusted = req
        .app_data::<web::Data<HostPolicy>>()
        .is_some_and(|policy| policy.trusts_proxy());
    let peer = req.peer_addr().map(|addr| addr.ip());
    if !trusted {
        return peer;
    }
    forwarded_for(req).or(peer)
}

fn forwarded_for(req: &HttpRequest) -> Option<IpAddr> {
    let headers = req.headers();
    if let Some(forwarded) = headers.get_all("forwarded").last() {
        let last = forwarded.to_str().ok()?.rsplit(',').next()?;
        let value = last
            .split(';')
            .find_map(|pair| pair.trim().strip_prefix("for="))?;
        return parse_node(value.trim_matches('"'));
    }
    let forwarded_for = headers.get_all("x-forwarded-for").last()?;
    parse_node(forwarded_for.to_str().ok()?.rsplit(',').next()?.trim())
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

#[cfg(test)]
mod tests {
    use super::parse_node;

    #[test]
    fn forwarded_nodes_parse_with_or_without_ports() {
        for (node, ip) in [
            ("192.0.2.1", "192.0.2.1"),
            ("192.0.2.1:4711", "192.0.2.1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:4711", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
        ] {
            assert_eq!(parse_node(node), Some(ip.parse().unwrap()), "{node}");
        }
        for node in ["unknown", "_hidden", "", "[::1"] {
            assert_eq!(parse_node(node), None, "{node}");
        }
    }
}
