//! The binary's commands, run as a user runs them.

use std::process::Command;

use crate::helpers::{TestDatabase, free_port};

fn registry(database_url: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> std::process::Output {
    registry_with_input(database_url, args, "")
}

/// Runs the binary with `input` on its standard input.
pub fn registry_with_input(
    database_url: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
    input: &str,
) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;

    let cwd = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_student-registry"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env_remove("SECRET_KEY")
        .current_dir(cwd.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    let mut stdin = child.stdin.take().expect("piped stdin");
    // A command that never reads its input may have exited already.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    child.wait_with_output().expect("wait for the binary")
}

#[test]
fn migrate_then_seed_loads_the_tutorials_students_and_generated_ones() {
    let db = TestDatabase::new();
    let migrate = registry(db.url(), &["migrate"]);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(
        String::from_utf8_lossy(&migrate.stdout)
            .contains(&format!("applied {} migrations", migration_count()))
    );
    let again = registry(db.url(), &["migrate"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));

    let seed = registry(db.url(), &["seed", "--count", "2500"]);
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    assert!(String::from_utf8_lossy(&seed.stdout).contains("added 2503 students"));
    // Seeding again adds new students and skips the tutorial's three.
    let seed = registry(db.url(), &["seed", "--count", "10"]);
    let out = String::from_utf8_lossy(&seed.stdout).to_string();
    assert!(
        out.contains("added 10 students")
            && out.contains("(3 already present)")
            && out.contains("now has 2513"),
        "{out}"
    );

    let students = crate::helpers::all_students(&mut db.connect());
    let names: Vec<String> = students.iter().take(3).map(|s| s.full_name()).collect();
    assert_eq!(names, ["john doe", "Sammy Shark", "Carl White"]);
}

#[test]
fn a_missing_folder_for_the_sqlite_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/folder/students.db");
    let migrate = registry(&db, &["migrate"]);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(db.is_file());
}

#[test]
fn an_unreachable_postgres_server_is_a_one_line_error_without_the_password() {
    // Port 1 on loopback: nothing listens there.
    let output = registry(
        "postgres://registry:hunter2@127.0.0.1:1/registry",
        &["migrate"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            "error: cannot open database postgres://registry:***@127.0.0.1:1/registry"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unusable_database_location_is_a_one_line_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let output = registry(blocker.join("students.db"), &["migrate"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: cannot create database folder"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

/// SQLite and libpq allocate with `malloc`, so jemalloc must replace it,
/// not only serve Rust's allocations (src/allocator.rs). A jemalloc that
/// replaced nothing would read `_RJEM_MALLOC_CONF`, not `MALLOC_CONF`, and
/// print nothing here; glibc's malloc would print nothing either.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_allocates_with_jemalloc_and_its_compiled_in_settings() {
    let output = Command::new(env!("CARGO_BIN_EXE_student-registry"))
        .arg("--help")
        // jemalloc then lists, as it starts, each setting it takes and from where.
        .env("MALLOC_CONF", "confirm_conf:true")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let compiled_in = stderr
        .lines()
        .skip_while(|line| !line.contains("specified via --with-malloc-conf"))
        .skip(1)
        .take_while(|line| line.contains("-- Set conf value"))
        .map(|line| line.rsplit(' ').next().unwrap_or_default())
        .collect::<Vec<_>>();
    assert_eq!(
        compiled_in,
        ["narenas:1", "dirty_decay_ms:1000"],
        "{stderr}"
    );
}

#[test]
fn a_bad_setting_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_student-registry"))
        .arg("migrate")
        .env("DATABASE_URL", dir.path().join("s.db"))
        .env("PORT", "eighty")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        r#"error: PORT="eighty" is not a valid number"#
    );
}

#[test]
fn serve_logs_one_line_per_request_and_stops_cleanly_on_sigterm() {
    use std::io::Read;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new();
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_student-registry"))
        .arg("serve")
        .env("DATABASE_URL", db.url())
        .env("PORT", port.to_string())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("SECRET_KEY")
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    let started = Instant::now();
    let body = loop {
        let answer = std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .and_then(|mut stream| {
                use std::io::Write;
                let request = format!(
                    "GET /healthz HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
                );
                stream.write_all(request.as_bytes()).ok()?;
                let mut response = String::new();
                stream.read_to_string(&mut response).ok()?;
                Some(response)
            });
        if let Some(response) = answer {
            break response;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");

    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = server.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit:?}");

    let mut log = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let mut out = String::new();
    server
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let log = format!("{log}{out}");
    assert!(
        log.contains("SECRET_KEY is not set"),
        "the random key is announced: {log}"
    );
    let request_lines: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("GET /healthz"))
        .collect();
    assert_eq!(request_lines.len(), 1, "{log}");
    assert!(
        request_lines[0].contains("GET /healthz HTTP/1.1 200") && request_lines[0].ends_with("ms"),
        "{}",
        request_lines[0]
    );
    assert!(log.contains("stopped"), "{log}");
}

/// How many migrations the app has (each backend has the same ones).
/// The migrations of the backend under test: PostgreSQL has one SQLite has
/// no use for (its search index of word prefixes).
fn migration_count() -> usize {
    let folder = match crate::BACKEND {
        crate::test_database::Backend::Sqlite => "migrations/sqlite",
        crate::test_database::Backend::Postgres => "migrations/postgres",
    };
    std::fs::read_dir(folder)
        .expect("the migrations folder")
        .count()
}
