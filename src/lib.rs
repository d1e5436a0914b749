//! Student Registry: a server-rendered web application for a school's student
//! records.
//!
//! - [`config`]: settings from the environment;
//! - [`database`]: pool, pragmas, embedded migrations, off-worker execution;
//! - [`students`]: the domain (record, validation, queries);
//! - [`routes`]: HTTP handlers; [`views`]: templates and view models;
//! - [`api`]: the JSON API under `/api`, with its OpenAPI document;
//! - [`web`]: plumbing shared by handlers (errors, CSRF, page context, headers);
//! - [`startup`]: builds the server, for `main` and the tests alike.

pub mod api;
pub mod cli;
pub mod config;
pub mod database;
pub mod pagination;
pub mod routes;
pub mod schema;
pub mod seed;
pub mod startup;
pub mod students;
pub mod telemetry;
pub mod views;
pub mod web;
