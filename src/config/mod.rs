//! Settings, read once from the environment (and an optional `.env` file, which
//! `main` loads before calling [`Settings::from_env`]).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};

mod database;
mod hosts;
mod sign_in;
#[cfg(test)]
mod tests;

pub use database::{
    DEFAULT_QUERY_TIMEOUT, DatabaseLocation, DatabaseSettings, sqlite_path_from_url,
};
pub use hosts::{AllowedHost, parse_authority};
pub use sign_in::SignInSettings;

/// Everything the application needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: IpAddr,
    pub port: u16,
    pub database: DatabaseSettings,
    /// Signs the session and flash cookies. `None` means "make a random one".
    pub secret_key: Option<SecretString>,
    /// Mark cookies `Secure`; turn on when the app is served over HTTPS.
    pub secure_cookies: bool,
    /// How long in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// Host names the app answers to besides its own addresses (`localhost`,
    /// `127.0.0.1`, `[::1]` and `host`, on the port it listens on).
    pub allowed_hosts: Vec<AllowedHost>,
    /// Believe `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto`: only
    /// behind a proxy that sets them.
    pub trust_proxy: bool,
    /// A session ends this long after it started (`SESSION_MAX_AGE_SECS`).
    pub session_max_age: Duration,
    /// A session ends after this long without a request
    /// (`SESSION_IDLE_TIMEOUT_SECS`).
    pub session_idle_timeout: Duration,
    /// How long a request body may take to arrive (`BODY_TIMEOUT_SECS`).
    pub body_timeout: Duration,
    /// Open connections at most, across all workers (`MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Where `/metrics` is served (`METRICS_ADDR`); `None`: nowhere.
    pub metrics_addr: Option<SocketAddr>,
    /// When failed sign-ins are throttled (`SIGN_IN_*`).
    pub sign_in: SignInSettings,
}

/// Well below the usual limit of 1,024 open files, which also has to hold
/// the database's files and connections: past it, new connections wait to be
/// accepted instead of the process failing to open anything.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// The secret must be long enough to derive cookie keys from; counted in
/// characters (each at least a byte), as people count.
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// The default of `BODY_TIMEOUT_SECS`: a form at the body limit takes well
/// under a second on any connection a person would use.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Twelve hours: a working day, so a session does not expire mid-task.
pub const DEFAULT_SESSION_MAX_AGE_SECS: u64 = 12 * 60 * 60;

/// An hour: a lesson or a meeting away from the desk, not a night.
pub const DEFAULT_SESSION_IDLE_TIMEOUT_SECS: u64 = 60 * 60;

/// 366 days, for both session lifetimes: longer is no session limit at all,
/// and far longer (past about 8e12 seconds) overflows the date arithmetic
/// that prunes sessions.
pub const MAX_SESSION_LIFETIME_SECS: u64 = 366 * 24 * 60 * 60;

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, so tests need not touch the real
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let host = match get("HOST") {
            Some(host) => host
                .trim()
                .parse()
                .with_context(|| format!("HOST={host:?} is not an IP address"))?,
            None => IpAddr::from([127, 0, 0, 1]),
        };
        let port = parse_or(get("PORT"), "PORT", 8000)?;
        let location = match get("DATABASE_URL") {
            Some(url) => DatabaseLocation::from_url(&url)?,
            None => DatabaseLocation::Sqlite(PathBuf::from("students.db")),
        };
        let pool_size: u32 = parse_or(get("DATABASE_POOL_SIZE"), "DATABASE_POOL_SIZE", 8)?;
        if pool_size == 0 {
            bail!("DATABASE_POOL_SIZE must be at least 1");
        }
        let log_sql = parse_bool(get("LOG_SQL"), "LOG_SQL")?;
        let query_timeout_ms: u64 = parse_or(
            get("QUERY_TIMEOUT_MS"),
            "QUERY_TIMEOUT_MS",
            DEFAULT_QUERY_TIMEOUT.as_millis() as u64,
        )?;
        let query_timeout = (query_timeout_ms > 0).then(|| Duration::from_millis(query_timeout_ms));
        let secure_cookies = parse_bool(get("COOKIE_SECURE"), "COOKIE_SECURE")?;
        let secret_key = get("SECRET_KEY").map(SecretString::from);
        if let Some(key) = &secret_key
            && key.expose_secret().chars().count() < MIN_SECRET_KEY_LEN
        {
            bail!("SECRET_KEY must be at least {MIN_SECRET_KEY_LEN} characters long");
        }
        let shutdown_timeout = Duration::from_secs(parse_or(
            get("SHUTDOWN_TIMEOUT_SECS"),
            "SHUTDOWN_TIMEOUT_SECS",
            30,
        )?);
        let allowed_hosts = get("ALLOWED_HOSTS")
            .map(|hosts| {
                hosts
                    .split(',')
                    .filter(|entry| !entry.trim().is_empty())
                    .map(|entry| {
                        entry
                            .parse()
                            .map_err(|err| anyhow::anyhow!("ALLOWED_HOSTS: {err}"))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()
            })
            .transpose()?
            .unwrap_or_default();
        let trust_proxy = parse_bool(get("TRUST_PROXY"), "TRUST_PROXY")?;
        let session_lifetime = |name: &str, default: u64| -> anyhow::Result<Duration> {
            let secs = parse_or(get(name), name, default)?;
            if !(1..=MAX_SESSION_LIFETIME_SECS).contains(&secs) {
                bail!("{name} must be from 1 to {MAX_SESSION_LIFETIME_SECS} (366 days)");
            }
            Ok(Duration::from_secs(secs))
        };
        let session_max_age =
            session_lifetime("SESSION_MAX_AGE_SECS", DEFAULT_SESSION_MAX_AGE_SECS)?;
        let session_idle_timeout = session_lifetime(
            "SESSION_IDLE_TIMEOUT_SECS",
            DEFAULT_SESSION_IDLE_TIMEOUT_SECS,
        )?;
        let body_timeout = Duration::from_secs(parse_or(
            get("BODY_TIMEOUT_SECS"),
            "BODY_TIMEOUT_SECS",
            DEFAULT_BODY_TIMEOUT.as_secs(),
        )?);
        if body_timeout.is_zero() {
            bail!("BODY_TIMEOUT_SECS must be at least 1");
        }
        let max_connections = parse_or(
            get("MAX_CONNECTIONS"),
            "MAX_CONNECTIONS",
            DEFAULT_MAX_CONNECTIONS,
        )?;
        if max_connections == 0 {
            bail!("MAX_CONNECTIONS must be at least 1");
        }

        let metrics_addr = get("METRICS_ADDR")
            .map(|addr| {
                addr.trim().parse::<SocketAddr>().with_context(|| {
                    format!("METRICS_ADDR={addr:?} is not an IP address and port, such as 127.0.0.1:9100")
                })
            })
            .transpose()?;
        if metrics_addr.is_some_and(|addr| addr == SocketAddr::new(host, port) && port != 0) {
            bail!("METRICS_ADDR must not be the app's own address (HOST:PORT)");
        }

        Ok(Self {
            host,
            port,
            database: DatabaseSettings {
                location,
                pool_size,
                log_sql,
                query_timeout,
            },
            secret_key,
            secure_cookies,
            shutdown_timeout,
            allowed_hosts,
            trust_proxy,
            session_max_age,
            session_idle_timeout,
            body_timeout,
            max_connections,
            metrics_addr,
            sign_in: SignInSettings::from_lookup(get)?,
        })
    }
}

fn parse_or<T: std::str::FromStr>(
    value: Option<String>,
    name: &str,
    default: T,
) -> anyhow::Result<T> {
    match value {
        Some(value) => value
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={value:?} is not a valid number")),
        None => Ok(default),
    }
}

fn parse_bool(value: Option<String>, name: &str) -> anyhow::Result<bool> {
    match value
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => bail!("{name}={other:?} is not true or false"),
    }
}
