//! `tokens`: API tokens from the command line, for operators and scripts.
//! `tokens create` prints the new token, and only it, on standard output,
//! so a script can capture it: `TOKEN=$(student-registry tokens create …)`.

use anyhow::bail;
use clap::Subcommand;
use secrecy::ExposeSecret;

use crate::accounts::tokens::{self, ApiToken, Scope};
use crate::accounts::{AccountError, User, queries};
use crate::audit::Actor;
use crate::config::Settings;
use crate::database::{Database, DbConnection};
use crate::format;
use crate::startup::DATA_UPGRADES;

use super::table;

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Make a token for an account and print it (it is shown only once).
    Create {
        /// The account the token acts as.
        #[arg(long)]
        email: String,
        /// A name to tell it apart by, unique among the account's tokens.
        #[arg(long)]
        name: String,
        /// read: reads records; write: also changes them (if the account's
        /// role may).
        #[arg(long, value_name = "read|write", value_parser = Scope::parse)]
        scope: Scope,
        /// Refused after this many days (1 to 3650); without it, the token
        /// works until revoked.
        #[arg(long, value_name = "D")]
        expires_in_days: Option<u32>,
    },
    /// List an account's tokens (never the tokens themselves).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke an account's token, by name: it stops working at once.
    Revoke {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

pub fn run(command: TokensCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database, &DATA_UPGRADES)?;
    let mut pooled = db.connection()?;
    let conn: &mut DbConnection = &mut pooled;
    match command {
        TokensCommand::Create {
            email,
            name,
            scope,
            expires_in_days,
        } => {
            let user = account(conn, &email)?;
            if !user.active {
                bail!("{} is deactivated: its tokens would not work", user.email);
            }
            let (token, secret) = tokens::create(
                conn,
                &Actor::command_line(),
                user.id,
                &name,
                scope,
                expires_in_days,
            )?;
            // What it is goes to standard error, so standard output is the
            // token alone.
            eprintln!(
                "created {} token {:?} for {}{}; it is shown only this once:",
                token.scope,
                token.name,
                user.email,
                token
                    .expires_at
                    .map(|at| format!(", expiring {}", format::rfc3339(&at)))
                    .unwrap_or_default()
            );
            println!("{}", secret.expose_secret());
        }
        TokensCommand::List { email } => {
            let user = account(conn, &email)?;
            print_list(&user, &tokens::list_for_user(conn, user.id)?);
        }
        TokensCommand::Revoke { email, name } => {
            let user = account(conn, &email)?;
            let Some(token) = tokens::find_by_name(conn, user.id, &name)? else {
                bail!("{} has no token named {:?}", user.email, name.trim());
            };
            let was_revoked = token.revoked_at.is_some();
            match tokens::revoke(conn, &Actor::command_line(), user.id, token.id)? {
                Some(token) if !was_revoked => {
                    println!("revoked token {:?} of {}", token.name, user.email);
                }
                _ => println!(
                    "token {:?} of {} was already revoked",
                    token.name, user.email
                ),
            }
        }
    }
    Ok(())
}

fn account(conn: &mut DbConnection, email: &str) -> anyhow::Result<User> {
    Ok(queries::find_by_email(conn, email)?
        .ok_or_else(|| AccountError::NotFound(email.trim().to_owned()))?)
}

/// The account's tokens, one a line.
fn print_list(user: &User, tokens: &[ApiToken]) {
    if tokens.is_empty() {
        println!(
            "{} has no tokens: create one with \
             student-registry tokens create --email {} --name N --scope read|write",
            user.email, user.email
        );
        return;
    }
    const HEADER: [&str; 6] = [
        "NAME",
        "SCOPE",
        "CREATED",
        "LAST USED",
        "EXPIRES",
        "REVOKED",
    ];
    let time = |at: &Option<chrono::NaiveDateTime>, none: &str| {
        at.as_ref().map_or_else(|| none.to_owned(), format::rfc3339)
    };
    let rows: Vec<[String; 6]> = tokens
        .iter()
        .map(|token| {
            [
                token.name.clone(),
                token.scope.to_string(),
                format::rfc3339(&token.created_at),
                time(&token.last_used_at, "never"),
                time(&token.expires_at, "never"),
                time(&token.revoked_at, "no"),
            ]
        })
        .collect();
    table::print(HEADER, &rows);
}
