//! Integration tests: the real application, built by the same function `main`
//! uses, on a real SQLite file in a temporary folder, driven over HTTP.
//! `tests/postgres` runs these same tests on PostgreSQL.

/// The database every test here runs on.
const BACKEND: test_database::Backend = test_database::Backend::Sqlite;

mod account;
mod admin_users;
mod api;
mod audit;
mod cli;
mod compression;
mod concurrency;
mod course_pages;
mod courses;
mod csrf;
mod documents;
// SQLite only: faults of the database file.
mod durability;
mod errors;
mod escaping;
mod faulty_disk;
mod helpers;
mod hosts;
mod http;
mod input;
mod keyset;
mod listing;
mod metrics;
mod migrations;
mod pages;
mod read_ahead;
mod roles;
mod sessions;
mod sign_in;
mod stale_edit;
mod stalling;
mod static_files;
mod student_courses;
mod test_database;
mod throttle;
mod tokens;
mod users;
mod validation;
