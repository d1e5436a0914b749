//! The binary's commands, run as a user runs them.

use std::process::Command;

fn registry(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    let cwd = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_student-registry"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .env_remove("SECRET_KEY")
        .current_dir(cwd.path())
        .output()
        .expect("run the binary")
}

#[test]
fn migrate_then_seed_loads_the_tutorials_students_and_generated_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/folder/students.db");

    let migrate = registry(&db, &["migrate"]);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("applied 3 migrations"));
    let again = registry(&db, &["migrate"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));

    let seed = registry(&db, &["seed", "--count", "2500"]);
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    assert!(String::from_utf8_lossy(&seed.stdout).contains("added 2503 students"));
    // Seeding again adds new students and skips the tutorial's three.
    let seed = registry(&db, &["seed", "--count", "10"]);
    let out = String::from_utf8_lossy(&seed.stdout).to_string();
    assert!(
        out.contains("added 10 students")
            && out.contains("(3 already present)")
            && out.contains("now has 2513"),
        "{out}"
    );

    use diesel::prelude::*;
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    let students = student_registry::students::queries::list_all(&mut conn).unwrap();
    let names: Vec<String> = students.iter().take(3).map(|s| s.full_name()).collect();
    assert_eq!(names, ["john doe", "Sammy Shark", "Carl White"]);
}

#[test]
fn an_unusable_database_location_is_a_one_line_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let output = registry(&blocker.join("students.db"), &["migrate"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: cannot create database folder"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
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
