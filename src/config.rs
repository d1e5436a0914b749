//! Settings, read once from the environment (and an optional `.env` file, which
//! `main` loads before calling [`Settings::from_env`]).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};

use crate::web::hosts::AllowedHost;

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
    pub static_dir: PathBuf,
    /// How long in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// Host names the app answers to besides its own addresses (`localhost`,
    /// `127.0.0.1`, `[::1]` and `host`, on the port it listens on).
    pub allowed_hosts: Vec<AllowedHost>,
    /// Believe `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto`: only
    /// behind a proxy that sets them.
    pub trust_proxy: bool,
    /// A session older than this is treated as empty.
    pub session_max_age: Duration,
    /// How long a request body may take to arrive (`BODY_TIMEOUT_SECS`).
    pub body_timeout: Duration,
    /// Open connections at most, across all workers (`MAX_CONNECTIONS`).
    pub max_connections: usize,
}

/// Well below the usual limit of 1,024 open files, which also has to hold
/// the database's files and connections: past it, new connections wait to be
/// accepted instead of the process failing to open anything.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

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

/// The secret must be long enough to derive cookie keys from; counted in
/// characters (each at least a byte), as people count.
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// Twelve hours: a working day, so a session does not expire mid-task.
pub const DEFAULT_SESSION_MAX_AGE_SECS: u64 = 12 * 60 * 60;

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
        let static_dir = get("STATIC_DIR").map_or_else(default_static_dir, PathBuf::from);
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
        let session_max_age = Duration::from_secs(parse_or(
            get("SESSION_MAX_AGE_SECS"),
            "SESSION_MAX_AGE_SECS",
            DEFAULT_SESSION_MAX_AGE_SECS,
        )?);
        if session_max_age.is_zero() {
            bail!("SESSION_MAX_AGE_SECS must be at least 1");
        }
        let body_timeout = Duration::from_secs(parse_or(
            get("BODY_TIMEOUT_SECS"),
            "BODY_TIMEOUT_SECS",
            crate::web::deadline::DEFAULT_BODY_TIMEOUT.as_secs(),
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
            static_dir,
            shutdown_timeout,
            allowed_hosts,
            trust_proxy,
            session_max_age,
            body_timeout,
            max_connections,
        })
    }
}

/// `./static` when run from a checkout or a deployment that ships the folder;
/// otherwise the source tree the binary was built from (`cargo run` anywhere).
fn default_static_dir() -> PathBuf {
    let local = PathBuf::from("static");
    if local.is_dir() {
        local
    } else {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/static"))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_run_on_a_local_sqlite_file() {
        let settings = settings(&[]).unwrap();
        assert_eq!(settings.port, 8000);
        assert_eq!(settings.host.to_string(), "127.0.0.1");
        assert!(
            matches!(&settings.database.location, DatabaseLocation::Sqlite(path) if path == &PathBuf::from("students.db"))
        );
        assert!(settings.secret_key.is_none());
        assert!(!settings.database.log_sql);
    }

    #[test]
    fn database_url_accepts_paths_and_sqlite_urls() {
        for (url, path) in [
            ("students.db", "students.db"),
            ("sqlite://students.db", "students.db"),
            ("sqlite:///var/lib/x.db", "/var/lib/x.db"),
            ("data/dir/s.db", "data/dir/s.db"),
        ] {
            assert_eq!(
                sqlite_path_from_url(url).unwrap(),
                PathBuf::from(path),
                "{url}"
            );
        }
        assert!(sqlite_path_from_url("mysql://x/y").is_err());
        assert!(sqlite_path_from_url("postgres://x/y").is_err());
        assert!(sqlite_path_from_url("sqlite://").is_err());
    }

    #[test]
    fn postgres_urls_select_postgres_and_never_print_the_password() {
        for url in [
            "postgres://app:hunter2@db:5432/registry",
            "postgresql://app:hunter2@db/registry",
        ] {
            let settings = settings(&[("DATABASE_URL", url)]).unwrap();
            let location = &settings.database.location;
            assert!(matches!(location, DatabaseLocation::Postgres(_)), "{url}");
            assert!(!location.to_string().contains("hunter2"), "{location}");
            assert!(location.to_string().contains("registry"), "{location}");
            assert!(!format!("{settings:?}").contains("hunter2"));
        }
    }

    #[test]
    fn passwords_are_masked_wherever_libpq_takes_them() {
        for (url, shown) in [
            (
                "postgres://app:hunter2@db:5432/registry",
                "postgres://app:***@db:5432/registry",
            ),
            (
                "postgres://app@db/registry?sslmode=require&password=hunter2",
                "postgres://app@db/registry?sslmode=require&password=***",
            ),
            (
                "postgresql://app:hunter2@h1:5432,h2:5433/registry?password=hunter2",
                "postgresql://app:***@h1:5432,h2:5433/registry?password=***",
            ),
            (
                "postgres://app:hun/t@r2@db/registry",
                "postgres://app:***@db/registry",
            ),
            ("postgres://db/registry", "postgres://db/registry"),
        ] {
            let location = DatabaseLocation::from_url(url).unwrap();
            assert_eq!(location.to_string(), shown);
        }
    }

    #[test]
    fn bad_values_are_one_line_errors() {
        let err = settings(&[("PORT", "eighty")]).unwrap_err();
        assert_eq!(err.to_string(), r#"PORT="eighty" is not a valid number"#);
        assert!(settings(&[("SECRET_KEY", "short")]).is_err());
        assert!(settings(&[("LOG_SQL", "maybe")]).is_err());
        assert!(settings(&[("DATABASE_POOL_SIZE", "0")]).is_err());
        assert!(settings(&[("LOG_SQL", "true")]).unwrap().database.log_sql);
    }

    #[test]
    fn secret_key_length_is_counted_in_characters() {
        // 31 characters, 62 bytes: too short.
        assert!(settings(&[("SECRET_KEY", &"é".repeat(31))]).is_err());
        assert!(settings(&[("SECRET_KEY", &"é".repeat(32))]).is_ok());
        assert!(settings(&[("SECRET_KEY", &"s".repeat(31))]).is_err());
        assert!(settings(&[("SECRET_KEY", &"s".repeat(32))]).is_ok());
    }

    #[test]
    fn allowed_hosts_are_a_comma_separated_list() {
        let settings = settings(&[(
            "ALLOWED_HOSTS",
            " registry.school.example , 192.0.2.7:8000,[2001:db8::1],",
        )])
        .unwrap();
        let hosts: Vec<String> = settings
            .allowed_hosts
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            hosts,
            ["registry.school.example", "192.0.2.7:8000", "[2001:db8::1]"]
        );
        let err =
            super::tests::settings(&[("ALLOWED_HOSTS", "ok.example,http://bad")]).unwrap_err();
        assert!(err.to_string().starts_with("ALLOWED_HOSTS: "), "{err}");
    }

    #[test]
    fn proxy_trust_and_session_age_have_safe_defaults() {
        let defaults = settings(&[]).unwrap();
        assert!(defaults.allowed_hosts.is_empty());
        assert!(!defaults.trust_proxy);
        assert_eq!(defaults.session_max_age, Duration::from_secs(12 * 60 * 60));
        let set = settings(&[("TRUST_PROXY", "true"), ("SESSION_MAX_AGE_SECS", "600")]).unwrap();
        assert!(set.trust_proxy);
        assert_eq!(set.session_max_age, Duration::from_secs(600));
        assert!(settings(&[("SESSION_MAX_AGE_SECS", "0")]).is_err());
        assert!(settings(&[("TRUST_PROXY", "maybe")]).is_err());
    }

    #[test]
    fn query_timeout_defaults_to_two_seconds_and_zero_turns_it_off() {
        assert_eq!(
            settings(&[]).unwrap().database.query_timeout,
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            settings(&[("QUERY_TIMEOUT_MS", "250")])
                .unwrap()
                .database
                .query_timeout,
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            settings(&[("QUERY_TIMEOUT_MS", "0")])
                .unwrap()
                .database
                .query_timeout,
            None
        );
        assert!(settings(&[("QUERY_TIMEOUT_MS", "-1")]).is_err());
        assert!(settings(&[("QUERY_TIMEOUT_MS", "2s")]).is_err());
    }

    #[test]
    fn body_timeout_and_connection_cap_have_defaults_and_refuse_zero() {
        let defaults = settings(&[]).unwrap();
        assert_eq!(defaults.body_timeout, Duration::from_secs(10));
        assert_eq!(defaults.max_connections, 512);
        let set = settings(&[("BODY_TIMEOUT_SECS", "3"), ("MAX_CONNECTIONS", "100")]).unwrap();
        assert_eq!(set.body_timeout, Duration::from_secs(3));
        assert_eq!(set.max_connections, 100);
        assert!(settings(&[("BODY_TIMEOUT_SECS", "0")]).is_err());
        assert!(settings(&[("MAX_CONNECTIONS", "0")]).is_err());
        assert!(settings(&[("MAX_CONNECTIONS", "lots")]).is_err());
    }

    #[test]
    fn secret_key_never_prints() {
        let secret = "s".repeat(40);
        let settings = settings(&[("SECRET_KEY", &secret)]).unwrap();
        assert!(!format!("{settings:?}").contains(&secret));
    }
}
