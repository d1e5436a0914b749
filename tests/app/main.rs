//! Integration tests: the real application, built by the same function `main`
//! uses, on a real SQLite file in a temporary folder, driven over HTTP.

mod api;
mod cli;
mod concurrency;
mod csrf;
mod errors;
mod escaping;
mod helpers;
mod listing;
mod migrations;
mod pages;
mod stale_edit;
mod validation;
