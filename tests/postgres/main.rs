//! The integration suite of `tests/app`, test for test, on PostgreSQL: each
//! test gets a database of its own on the server at `TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432`), dropped when it ends.
//! Without a reachable server the suite says so and is not run, unless
//! `REQUIRE_POSTGRES=1` (as in CI) makes that a failure.

/// The database every test here runs on.
const BACKEND: test_database::Backend = test_database::Backend::Postgres;

mod postgres_only;

#[path = "../app/account.rs"]
mod account;
#[path = "../app/admin_users.rs"]
mod admin_users;
#[path = "../app/api/mod.rs"]
mod api;
#[path = "../app/audit.rs"]
mod audit;
#[path = "../app/cli.rs"]
mod cli;
#[path = "../app/compression.rs"]
mod compression;
#[path = "../app/concurrency.rs"]
mod concurrency;
#[path = "../app/course_pages.rs"]
mod course_pages;
#[path = "../app/courses.rs"]
mod courses;
#[path = "../app/csrf.rs"]
mod csrf;
#[path = "../app/documents.rs"]
mod documents;
#[path = "../app/errors.rs"]
mod errors;
#[path = "../app/escaping.rs"]
mod escaping;
#[path = "../app/helpers.rs"]
mod helpers;
#[path = "../app/hosts.rs"]
mod hosts;
#[path = "../app/http.rs"]
mod http;
#[path = "../app/input.rs"]
mod input;
#[path = "../app/keyset.rs"]
mod keyset;
#[path = "../app/listing.rs"]
mod listing;
#[path = "../app/metrics.rs"]
mod metrics;
#[path = "../app/migrations.rs"]
mod migrations;
#[path = "../app/pages.rs"]
mod pages;
#[path = "../app/read_ahead.rs"]
mod read_ahead;
#[path = "../app/roles.rs"]
mod roles;
#[path = "../app/sessions.rs"]
mod sessions;
#[path = "../app/sign_in.rs"]
mod sign_in;
#[path = "../app/stale_edit.rs"]
mod stale_edit;
#[path = "../app/stalling.rs"]
mod stalling;
#[path = "../app/static_files.rs"]
mod static_files;
#[path = "../app/student_courses.rs"]
mod student_courses;
#[path = "../app/test_database.rs"]
mod test_database;
#[path = "../app/throttle.rs"]
mod throttle;
#[path = "../app/tokens.rs"]
mod tokens;
#[path = "../app/users.rs"]
mod users;
#[path = "../app/validation.rs"]
mod validation;
