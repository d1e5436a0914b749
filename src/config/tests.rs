//! Reading the settings, through a lookup instead of the real environment.

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
    let err = super::tests::settings(&[("ALLOWED_HOSTS", "ok.example,http://bad")]).unwrap_err();
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
fn sessions_end_after_an_hour_idle_unless_configured() {
    assert_eq!(
        settings(&[]).unwrap().session_idle_timeout,
        Duration::from_secs(60 * 60)
    );
    let set = settings(&[("SESSION_IDLE_TIMEOUT_SECS", "300")]).unwrap();
    assert_eq!(set.session_idle_timeout, Duration::from_secs(300));
    assert!(settings(&[("SESSION_IDLE_TIMEOUT_SECS", "0")]).is_err());
    assert!(settings(&[("SESSION_IDLE_TIMEOUT_SECS", "soon")]).is_err());
}

#[test]
fn session_lifetimes_are_at_most_366_days() {
    for name in ["SESSION_MAX_AGE_SECS", "SESSION_IDLE_TIMEOUT_SECS"] {
        let set = settings(&[(name, "31622400")]).unwrap();
        let lifetime = match name {
            "SESSION_MAX_AGE_SECS" => set.session_max_age,
            _ => set.session_idle_timeout,
        };
        assert_eq!(lifetime, Duration::from_secs(366 * 24 * 60 * 60), "{name}");
        // Past about 8e12 seconds chrono cannot add them to a date.
        for too_long in ["31622401", "9000000000000", "18446744073709551615"] {
            let err = settings(&[(name, too_long)]).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{name} must be from 1 to 31622400 (366 days)")
            );
        }
        let err = settings(&[(name, "0")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{name} must be from 1 to 31622400 (366 days)")
        );
    }
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

#[test]
fn metrics_are_off_unless_given_an_address() {
    assert_eq!(settings(&[]).unwrap().metrics_addr, None);
    assert_eq!(
        settings(&[("METRICS_ADDR", " ")]).unwrap().metrics_addr,
        None
    );
    let on = settings(&[("METRICS_ADDR", "127.0.0.1:9100")]).unwrap();
    assert_eq!(
        on.metrics_addr,
        Some(SocketAddr::from(([127, 0, 0, 1], 9100)))
    );
    let v6 = settings(&[("METRICS_ADDR", "[::1]:9100")]).unwrap();
    assert_eq!(v6.metrics_addr.map(|addr| addr.port()), Some(9100));
    for bad in ["9100", "localhost:9100", "127.0.0.1", "127.0.0.1:http"] {
        let err = settings(&[("METRICS_ADDR", bad)]).unwrap_err().to_string();
        assert!(err.starts_with("METRICS_ADDR="), "{bad}: {err}");
    }
    let same = settings(&[("PORT", "8000"), ("METRICS_ADDR", "127.0.0.1:8000")]);
    assert!(same.unwrap_err().to_string().contains("app's own address"));
}

#[test]
fn sign_in_throttling_defaults_to_five_and_twenty_failures_in_fifteen_minutes() {
    assert_eq!(
        settings(&[]).unwrap().sign_in,
        SignInSettings {
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            failure_window: Duration::from_secs(15 * 60),
        }
    );
    let set = settings(&[
        ("SIGN_IN_MAX_FAILURES_PER_ACCOUNT", "3"),
        ("SIGN_IN_MAX_FAILURES_PER_ADDRESS", " 50 "),
        ("SIGN_IN_FAILURE_WINDOW_SECS", "86400"),
    ])
    .unwrap();
    assert_eq!(
        set.sign_in,
        SignInSettings {
            max_failures_per_account: 3,
            max_failures_per_address: 50,
            failure_window: Duration::from_secs(24 * 60 * 60),
        }
    );
}

#[test]
fn sign_in_throttling_refuses_zero_and_anything_but_a_number() {
    for name in [
        "SIGN_IN_MAX_FAILURES_PER_ACCOUNT",
        "SIGN_IN_MAX_FAILURES_PER_ADDRESS",
        "SIGN_IN_FAILURE_WINDOW_SECS",
    ] {
        let err = settings(&[(name, "0")]).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{name} must be ")), "{err}");
        for bad in ["five", "-1", "1.5", "5 per minute", "99999999999999999999"] {
            let err = settings(&[(name, bad)]).unwrap_err().to_string();
            assert_eq!(err, format!("{name}={bad:?} is not a valid number"));
        }
    }
    // Longer than a day would only grow the table and the lock-outs.
    let err = settings(&[("SIGN_IN_FAILURE_WINDOW_SECS", "86401")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "SIGN_IN_FAILURE_WINDOW_SECS must be from 1 to 86400"
    );
}
