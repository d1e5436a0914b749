use std::process::ExitCode;

use clap::Parser;
use student_registry::cli::{self, Cli};
use student_registry::config::Settings;
use student_registry::telemetry;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = load_settings().and_then(|settings| {
        telemetry::init(settings.database.log_sql);
        cli::run(cli, settings)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, with its causes: what went wrong and why.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_settings() -> anyhow::Result<Settings> {
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(err) if err.not_found() => {}
        Err(err) => anyhow::bail!("cannot read .env: {err}"),
    }
    Settings::from_env()
}
