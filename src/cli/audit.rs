//! `audit`: the audit history from the command line. `prune` keeps it to a
//! retention period.

use clap::Subcommand;

use crate::audit;
use crate::config::Settings;
use crate::database::Database;
use crate::startup::DATA_UPGRADES;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Delete the events recorded more than N days ago; prints how many.
    Prune {
        /// Keep the last N days (at least 1: pruning the whole history is
        /// never one typo away).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        older_than_days: u32,
    },
}

pub fn run(command: AuditCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database, &DATA_UPGRADES)?;
    match command {
        AuditCommand::Prune { older_than_days } => {
            let removed = audit::prune(&mut *db.connection()?, older_than_days)?;
            let events = if removed == 1 { "event" } else { "events" };
            let days = if older_than_days == 1 { "day" } else { "days" };
            println!("removed {removed} audit {events} older than {older_than_days} {days}");
        }
    }
    Ok(())
}
