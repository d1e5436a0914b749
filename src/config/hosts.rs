//! `ALLOWED_HOSTS`: the host names the app answers to besides its own
//! addresses, and the one way a `host[:port]` is read (also for the `Host`
//! header itself, in [`crate::http::hosts`]).

use std::fmt;
use std::str::FromStr;

use url::Host;

/// One entry of `ALLOWED_HOSTS`: a name or address, with or without a port.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowedHost {
    host: Host<String>,
    /// `None`: any port.
    port: Option<u16>,
}

impl AllowedHost {
    pub fn new(host: Host<String>, port: Option<u16>) -> Self {
        Self { host, port }
    }

    pub fn matches(&self, host: &Host<String>, port: u16) -> bool {
        self.host == *host && self.port.is_none_or(|allowed| allowed == port)
    }
}

/// `name`, `name:port`, `192.0.2.7`, `[2001:db8::1]:8000`; names ignore case.
impl FromStr for AllowedHost {
    type Err = String;

    fn from_str(entry: &str) -> Result<Self, Self::Err> {
        parse_authority(entry.trim())
            .map(|(host, port)| Self { host, port })
            .ok_or_else(|| {
                format!("{entry:?} is not a host name or address, with an optional :port")
            })
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

/// `host[:port]` as in a `Host` header: the host normalised as browsers do
/// (lower case, IPv4 in dotted decimal, IPv6 in brackets, compressed).
pub fn parse_authority(authority: &str) -> Option<(Host<String>, Option<u16>)> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (address, after) = rest.split_once(']')?;
            let port = match after {
                "" => None,
                after => Some(after.strip_prefix(':')?),
            };
            (&authority[..address.len() + 2], port)
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        None => None,
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            Some(port.parse::<u16>().ok().filter(|&port| port != 0)?)
        }
        Some(_) => return None,
    };
    // Percent signs are decoded by the URL parser; a Host never has them.
    if host.is_empty() || host.contains('%') {
        return None;
    }
    Some((Host::parse(host).ok()?, port))
}
