//! Which hosts and origins are accepted, with and without a trusted proxy.

use super::*;
use actix_web::http::header::HeaderValue;

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    map
}

fn policy(extra: &[&str], trust_proxy: bool) -> HostPolicy {
    let extra: Vec<AllowedHost> = extra.iter().map(|e| e.parse().unwrap()).collect();
    HostPolicy::new([127, 0, 0, 1].into(), 8000, &extra, trust_proxy)
}

fn origin(policy: &HostPolicy, pairs: &[(&'static str, &'static str)]) -> Option<String> {
    match policy.origin_of(Version::HTTP_11, &Uri::from_static("/"), &headers(pairs)) {
        Ok(Some(origin)) => Some(origin.to_string()),
        Ok(None) => Some("none".into()),
        Err(_) => None,
    }
}

#[test]
fn the_default_hosts_on_the_port_listened_on_are_allowed() {
    let policy = policy(&[], false);
    for (host, expected) in [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("localhost:8000", "http://localhost:8000"),
        ("LocalHost:8000", "http://localhost:8000"),
        ("[::1]:8000", "http://[::1]:8000"),
        ("[0:0::1]:8000", "http://[::1]:8000"),
    ] {
        assert_eq!(
            origin(&policy, &[("host", host)]).as_deref(),
            Some(expected)
        );
    }
    for host in [
        "rebind.evil.example:8000",
        "127.0.0.1:8001",
        "localhost",
        "localhost:",
        "localhost:0",
        "localhost:99999",
        "localhost:80a",
        "evil@localhost:8000",
        "localhost%3a8000",
        "::1:8000",
        "[::1",
        "",
    ] {
        assert_eq!(origin(&policy, &[("host", host)]), None, "{host:?}");
    }
    assert_eq!(origin(&policy, &[]), None, "HTTP/1.1 without Host");
    assert!(
        origin(
            &policy,
            &[("host", "127.0.0.1:8000"), ("host", "127.0.0.1:8000")]
        )
        .is_none()
    );
}

#[test]
fn an_http_1_0_request_may_leave_out_host() {
    let policy = policy(&[], false);
    let origin = policy.origin_of(Version::HTTP_10, &Uri::from_static("/"), &headers(&[]));
    assert!(matches!(origin, Ok(None)));
}

#[test]
fn an_absolute_request_target_overrides_host() {
    let policy = policy(&[], false);
    let uri = Uri::from_static("http://evil.example/");
    let origin = policy.origin_of(
        Version::HTTP_11,
        &uri,
        &headers(&[("host", "127.0.0.1:8000")]),
    );
    assert!(origin.is_err());
}

#[test]
fn allowed_hosts_without_a_port_allow_any_port() {
    let policy = policy(&["Registry.School.Example", "10.0.0.5:9000"], false);
    assert_eq!(
        origin(&policy, &[("host", "registry.school.example")]).as_deref(),
        Some("http://registry.school.example:80")
    );
    assert!(origin(&policy, &[("host", "registry.school.example:8443")]).is_some());
    assert!(origin(&policy, &[("host", "10.0.0.5:9000")]).is_some());
    assert!(origin(&policy, &[("host", "10.0.0.5")]).is_none());
    assert!(origin(&policy, &[("host", "school.example")]).is_none());
    // The default hosts stay allowed.
    assert!(origin(&policy, &[("host", "localhost:8000")]).is_some());
}

#[test]
fn bad_entries_are_refused() {
    for entry in ["", "a b", "host:port", "[::1", "x:0", "http://x", "a/b"] {
        assert!(entry.parse::<AllowedHost>().is_err(), "{entry:?}");
    }
    assert_eq!(
        "[::1]:8000".parse::<AllowedHost>().unwrap().to_string(),
        "[::1]:8000"
    );
}

#[test]
fn proxy_headers_count_only_when_trusted() {
    let pairs = [
        ("host", "127.0.0.1:8000"),
        ("x-forwarded-host", "registry.school.example"),
        ("x-forwarded-proto", "https"),
    ];
    assert_eq!(
        origin(&policy(&["registry.school.example"], false), &pairs).as_deref(),
        Some("http://127.0.0.1:8000")
    );
    assert_eq!(
        origin(&policy(&["registry.school.example"], true), &pairs).as_deref(),
        Some("https://registry.school.example:443")
    );
    // Trusted, the forwarded host is the one checked.
    assert_eq!(origin(&policy(&[], true), &pairs), None);
    let forwarded = [
        ("host", "127.0.0.1:8000"),
        ("forwarded", "host=evil.example;proto=http"),
        (
            "forwarded",
            "for=192.0.2.1;host=\"registry.school.example\";proto=https",
        ),
    ];
    assert_eq!(
        origin(&policy(&["registry.school.example"], true), &forwarded).as_deref(),
        Some("https://registry.school.example:443")
    );
    let appended = [
        ("host", "127.0.0.1:8000"),
        ("x-forwarded-host", "evil.example, registry.school.example"),
    ];
    assert_eq!(
        origin(&policy(&["registry.school.example"], true), &appended).as_deref(),
        Some("http://registry.school.example:80")
    );
}

#[test]
fn origins_compare_scheme_host_and_port() {
    let origin = RequestOrigin {
        https: false,
        host: Host::Ipv4([127, 0, 0, 1].into()),
        port: 8000,
    };
    assert!(origin.is("http://127.0.0.1:8000"));
    for other in [
        "https://127.0.0.1:8000",
        "http://127.0.0.1:8001",
        "http://127.0.0.1",
        "http://localhost:8000",
        "null",
        "",
    ] {
        assert!(!origin.is(other), "{other}");
    }
    let public = RequestOrigin {
        https: true,
        host: Host::Domain("registry.school.example".into()),
        port: 443,
    };
    assert!(public.is("https://registry.school.example"));
    assert!(public.is("https://REGISTRY.school.example:443"));
    assert!(!public.is("http://registry.school.example"));
}

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
