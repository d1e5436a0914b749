//! Student Registry: a server-rendered web application for a school's student
//! records. Layers, each importing only from the ones below it:
//!
//! 1. [`cli`] (the commands `main` runs) and [`startup`] (builds the server,
//!    for `main` and the tests alike);
//! 2. the two faces: [`pages`] (HTML) and [`api`] (JSON under `/api`);
//! 3. [`http`]: what both faces share (hosts, headers, body limits);
//! 4. the domain, one folder per resource: [`students`], [`accounts`];
//! 5. [`pagination`], [`format`] and [`email`], which any resource may use;
//! 6. [`database`] (pool, migrations, off-worker execution), then [`schema`],
//!    [`config`] and [`telemetry`].

pub mod accounts;
pub mod api;
pub mod cli;
pub mod config;
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
