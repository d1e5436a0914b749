//! End-to-end tests in a real browser: Debian's Chromium, headless with a fresh
//! profile, driven over WebDriver by a chromedriver these tests start, against
//! the real application on a temporary SQLite file and a random loopback port.
//! Pages are also checked by axe-core and the W3C Nu HTML Checker.
//!
//! Built only with `--features browser`. Install the tools once with
//! `bash scripts/install-browser-tools.sh`, then run
//! `cargo test --features browser --test browser`. A missing tool fails the
//! run with a message saying which; nothing is skipped.

mod account;
mod app;
mod browser;
mod checks;
mod courses;
mod flows;
mod pages;
mod people;
mod student_courses;
mod tools;
mod users;
