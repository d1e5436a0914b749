//! The schema, as embedded migrations: one folder per backend, with the same
//! version names, producing the same logical schema (`src/schema.rs`).

use std::path::Path;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;

use super::AnyConnection;
use crate::config::{DatabaseLocation, DatabaseSettings};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any constant shared by every instance of the app: instances starting
/// together on one PostgreSQL database take turns to migrate it.
const MIGRATION_LOCK_KEY: i64 = 0x5374_7564_656e_7473; // "Students"

/// Work on stored rows that must follow the schema migrations, given by the
/// domain that owns the rows (this layer knows no domain rules). It runs on
/// the migrating connection, after the migrations: on PostgreSQL under the
/// migration lock, so instances starting together take turns.
pub type DataUpgrade = fn(&mut AnyConnection) -> anyhow::Result<()>;

/// Opens (creating if needed) the database, applies every pending migration,
/// then runs `upgrades`. Returns the versions applied.
pub fn migrate(
    settings: &DatabaseSettings,
    upgrades: &[DataUpgrade],
) -> anyhow::Result<Vec<String>> {
    let location = &settings.location;
    let applied = match location {
        DatabaseLocation::Sqlite(path) => {
            let file = sqlite_file(path)?;
            migrate_sqlite(&file, upgrades)
        }
        DatabaseLocation::Postgres(url) => migrate_postgres(url.expose_secret(), upgrades),
    };
    applied.with_context(|| format!("cannot open database {location}"))
}

fn migrate_sqlite(file: &str, upgrades: &[DataUpgrade]) -> anyhow::Result<Vec<String>> {
    let mut conn = SqliteConnection::establish(file)?;
    // A running server may be writing (a command such as `users` migrates
    // too): wait for it as the pool's connections do, instead of failing.
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {}",
        super::BUSY_TIMEOUT.as_millis()
    ))?;
    // WAL is a property of the file, so it is set once here rather than per
    // connection; it lets readers work while a writer commits.
    let mode: JournalMode = diesel::sql_query("PRAGMA journal_mode = WAL").get_result(&mut conn)?;
    if !mode.journal_mode.eq_ignore_ascii_case("wal") {
        anyhow::bail!(
            "the database refused WAL mode (it is in {} mode)",
            mode.journal_mode
        );
    }
    let applied = run(&mut conn, SQLITE_MIGRATIONS)?;
    run_upgrades(AnyConnection::Sqlite(conn), upgrades)?;
    Ok(applied)
}

fn migrate_postgres(url: &str, upgrades: &[DataUpgrade]) -> anyhow::Result<Vec<String>> {
    let mut conn = PgConnection::establish(url)?;
    // Session-level, so it also covers the migrations' own transactions; it
    // ends with the connection even if a migration fails.
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(&mut conn)?;
    // The harness begins with CREATE TABLE IF NOT EXISTS, which a role that
    // may only read and write the tables (an app's usual login, when the
    // owner migrates) is refused; with nothing pending, it is not needed.
    let applied = if all_applied(&mut conn, POSTGRES_MIGRATIONS)? {
        Vec::new()
    } else {
        run(&mut conn, POSTGRES_MIGRATIONS)?
    };
    run_upgrades(AnyConnection::Postgresql(conn), upgrades)?;
    Ok(applied)
}

fn run_upgrades(mut conn: AnyConnection, upgrades: &[DataUpgrade]) -> anyhow::Result<()> {
    upgrades.iter().try_for_each(|upgrade| upgrade(&mut conn))
}

/// Whether every embedded migration is recorded as applied, found with reads
/// only.
fn all_applied(conn: &mut PgConnection, migrations: EmbeddedMigrations) -> anyhow::Result<bool> {
    let recorded: bool = diesel::select(sql::<Bool>(
        "to_regclass('__diesel_schema_migrations') IS NOT NULL",
    ))
    .get_result(conn)?;
    if !recorded {
        return Ok(false);
    }
    let applied: Vec<String> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load::<AppliedVersion>(conn)?
        .into_iter()
        .map(|row| row.version)
        .collect();
    let embedded =
        MigrationSource::<Pg>::migrations(&migrations).map_err(|err| anyhow::anyhow!(err))?;
    Ok(embedded
        .iter()
        .all(|migration| applied.contains(&migration.name().version().to_string())))
}

#[derive(QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

fn run<C>(conn: &mut C, migrations: EmbeddedMigrations) -> anyhow::Result<Vec<String>>
where
    C: MigrationHarness<C::Backend> + Connection,
{
    let applied = conn
        .run_pending_migrations(migrations)
        .map_err(|err| anyhow::anyhow!(err))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Makes sure the folder exists, so a fresh checkout can point DATABASE_URL at
/// `data/students.db` without preparing anything.
fn sqlite_file(path: &Path) -> anyhow::Result<String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create database folder {}", parent.display()))?;
    }
    create_owner_only(path)?;
    path.to_str()
        .map(str::to_owned)
        .with_context(|| format!("database path {} is not valid UTF-8", path.display()))
}

/// Creates a missing database file readable and writable by its owner only,
/// before SQLite would create it with the usual 0644: it holds personal data.
/// SQLite gives the -wal and -shm files it creates the database file's mode.
/// An existing file keeps the mode it has.
#[cfg(unix)]
fn create_owner_only(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => {
            Err(err).with_context(|| format!("cannot create database file {}", path.display()))
        }
    }
}

#[cfg(not(unix))]
fn create_owner_only(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = diesel::sql_types::Text)]
    journal_mode: String,
}
