//! Where the data lives and how the pool uses it: `DATABASE_URL`,
//! `POOL_SIZE`, `QUERY_TIMEOUT_MS`, `LOG_SQL`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub location: DatabaseLocation,
    pub pool_size: u32,
    /// Log every SQL statement (Flask-SQLAlchemy's `SQLALCHEMY_ECHO`).
    pub log_sql: bool,
    /// The longest a request's query may hold its connection; `None` (set
    /// with `QUERY_TIMEOUT_MS=0`) lets queries run as long as they take.
    pub query_timeout: Option<Duration>,
}

impl DatabaseSettings {
    /// Settings for a database, with the defaults used in production.
    pub fn new(location: DatabaseLocation) -> Self {
        Self {
            location,
            pool_size: 8,
            log_sql: false,
            query_timeout: Some(DEFAULT_QUERY_TIMEOUT),
        }
    }
}

/// Where the data lives; `DATABASE_URL` picks it, so one build serves both.
#[derive(Debug, Clone)]
pub enum DatabaseLocation {
    /// A SQLite file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL. Secret: it may hold a password.
    Postgres(SecretString),
}

impl DatabaseLocation {
    /// `postgres://` and `postgresql://` URLs name a PostgreSQL database;
    /// anything else is a SQLite file path or `sqlite://` URL.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Not parsed here: libpq accepts more than a generic URL parser
            // (several hosts, `host=` parameters), and reports a bad one at
            // connection time, in the same one-line start-up error.
            Ok(Self::Postgres(SecretString::from(url)))
        } else {
            sqlite_path_from_url(url).map(Self::Sqlite)
        }
    }
}

/// For logs and messages: the file, or the URL without its password.
impl std::fmt::Display for DatabaseLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact_password(url.expose_secret())),
        }
    }
}

/// `url` with the password masked wherever libpq takes one: in the user
/// info (`user:secret@host`) and as a `password=` parameter.
fn redact_password(url: &str) -> String {
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (url, None),
    };
    let mut redacted = match address.split_once("://") {
        // The last `@`: a password may hold `/` or `@` (unencoded), and
        // masking too much is better than too little.
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((user_info, hosts_and_path)) => {
                let user = match user_info.split_once(':') {
                    Some((user, _password)) => format!("{user}:***"),
                    None => user_info.to_owned(),
                };
                format!("{scheme}://{user}@{hosts_and_path}")
            }
            None => address.to_owned(),
        },
        None => address.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some(("password", _)) => "password=***".to_owned(),
                _ => param.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&params.join("&"));
    }
    redacted
}

/// Long enough for any search a person means to make (the slowest sensible
/// ones take a few hundred milliseconds at 100,000 students), short enough
/// that one client cannot hold connections for long.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Accepts a plain file path (`students.db`, `/var/lib/registry/students.db`)
/// or a URL (`sqlite://students.db`, `sqlite:///var/lib/students.db`).
pub fn sqlite_path_from_url(url: &str) -> anyhow::Result<PathBuf> {
    let url = url.trim();
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.is_empty() {
        bail!("DATABASE_URL={url:?} names no database file");
    }
    if path.contains("://") {
        bail!("DATABASE_URL={url:?} is not a SQLite file path or sqlite:// URL");
    }
    Ok(PathBuf::from(path))
}
