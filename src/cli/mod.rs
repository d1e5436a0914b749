//! The command line: `serve` (the default), `migrate`, `seed`, `users`
//! (staff accounts: [`users`]), `tokens` (their API tokens: [`tokens`]) and
//! `audit` (the audit history: [`audit`]).

mod audit;
mod table;
mod tokens;
mod users;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::courses::seed as course_seed;
use crate::database::{Database, migrate};
use crate::startup::{Application, DATA_UPGRADES};
use crate::students::seed;

#[derive(Debug, Parser)]
#[command(
    name = "student-registry",
    version,
    about = "Manage a school's student records in the browser"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Add the tutorial's three students, then COUNT generated ones; with
    /// --courses, M generated courses and enrolments for every student not
    /// yet enrolled anywhere.
    Seed {
        #[arg(long, default_value_t = 0)]
        count: u64,
        #[arg(long, default_value_t = 0)]
        courses: u64,
    },
    /// Manage staff accounts (passwords are read from standard input).
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Manage API tokens (`tokens create` prints the new token).
    #[command(subcommand)]
    Tokens(tokens::TokensCommand),
    /// Look after the audit history.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
}

pub fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => actix_web::rt::System::new().block_on(async move {
            let app = Application::build(settings.clone()).await?;
            tracing::info!(
                "Student Registry listening on http://{}:{} (database {})",
                settings.host,
                app.port(),
                settings.database.location
            );
            if let Some(url) = app.setup_url() {
                tracing::warn!(
                    "There are no accounts yet. Create the first admin at {url} \
                     (this link works once; or use `student-registry users create`)"
                );
            }
            app.run_until_stopped().await?;
            tracing::info!("stopped");
            Ok(())
        }),
        Command::Migrate => {
            let applied = migrate(&settings.database, &DATA_UPGRADES)?;
            match applied.as_slice() {
                [] => println!("database {} is up to date", settings.database.location),
                versions => println!(
                    "applied {} migrations to {}: {}",
                    versions.len(),
                    settings.database.location,
                    versions.join(", ")
                ),
            }
            Ok(())
        }
        Command::Seed { count, courses } => {
            let db = Database::connect(&settings.database, &DATA_UPGRADES)?;
            let started = std::time::Instant::now();
            let report = seed::seed(&mut *db.connection()?, count)?;
            println!(
                "added {} students in {:.2?} ({} already present); the registry now has {}",
                report.inserted,
                started.elapsed(),
                report.skipped,
                report.total
            );
            if courses > 0 {
                let started = std::time::Instant::now();
                let today = chrono::Utc::now().date_naive();
                let report = course_seed::seed(&mut *db.connection()?, courses, today)?;
                println!(
                    "added {} courses and {} enrolments in {:.2?}",
                    report.courses_inserted,
                    report.enrolments_inserted,
                    started.elapsed()
                );
            }
            Ok(())
        }
        Command::Users(command) => users::run(command, &settings),
        Command::Tokens(command) => tokens::run(command, &settings),
        Command::Audit(command) => audit::run(command, &settings),
    }
}
