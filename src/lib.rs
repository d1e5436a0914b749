//! Student Registry: a server-rendered web application for a school's student
//! records. Layers, highest first, each importing only from the ones below it
//! (`tests/layers.rs` checks it):
//!
//! - [`cli`] (the commands `main` runs) and [`startup`] (builds the server,
//!   for `main` and the tests alike);
//! - the two faces: [`pages`] (HTML) and [`api`] (JSON under `/api`);
//! - [`http`]: what both faces share (hosts, headers, body limits);
//! - the domain, one folder per resource: [`courses`] (courses and
//!   enrolments, which build on students), then [`students`] and
//!   [`accounts`];
//! - [`audit`], the history of changes, which every resource records;
//! - [`pagination`], [`mod@format`], [`email`] and [`text`], which any
//!   resource may use;
//! - [`database`] (pool, migrations, off-worker execution), then [`schema`],
//!   [`config`] and [`telemetry`].

pub mod accounts;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod allocator;
pub mod api;
pub mod audit;
pub mod cli;
pub mod config;
pub mod courses;
pub mod database;
pub mod email;
pub mod format;
pub mod http;
pub mod pages;
pub mod pagination;
pub mod schema;
pub mod startup;
pub mod students;
pub mod telemetry;
pub mod text;
