//! `users`: staff accounts from the command line, for operators and scripts.
//! A password is read from standard input only, never from an argument:
//! arguments show in `ps`, in shell history and in process accounting.

use std::io::{IsTerminal, Read};

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::accounts::{self, AccountError, NewPassword, Role, User, UserDraft, queries};
use crate::audit::Actor;
use crate::config::Settings;
use crate::database::{Database, DbConnection};
use crate::format;
use crate::startup::DATA_UPGRADES;

use super::table;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account, with the password on standard input (one line).
    Create {
        /// The account's email address, unique ignoring case.
        #[arg(long)]
        email: String,
        /// The name shown for the account.
        #[arg(long)]
        name: String,
        /// viewer: reads records; editor: also changes them; admin: also
        /// manages accounts.
        #[arg(long, value_name = "viewer|editor|admin")]
        role: String,
        /// Read the password from standard input (the only way to give one).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List every account.
    List,
    /// Change an account's role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long, value_name = "viewer|editor|admin", value_parser = Role::parse)]
        role: Role,
    },
    /// Stop an account from signing in (it stays in the list).
    Deactivate {
        #[arg(long)]
        email: String,
    },
    /// Let a deactivated account sign in again.
    Activate {
        #[arg(long)]
        email: String,
    },
    /// Set a new password, read from standard input (one line).
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (the only way to give one).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub fn run(command: UsersCommand, settings: &Settings) -> anyhow::Result<()> {
    // Connected first (it applies pending migrations): a wrong DATABASE_URL
    // is reported before anyone types a password.
    let db = Database::connect(&settings.database, &DATA_UPGRADES)?;
    let mut pooled = db.connection()?;
    let conn: &mut DbConnection = &mut pooled;
    let actor = Actor::command_line();
    match command {
        UsersCommand::Create {
            email,
            name,
            role,
            password_stdin: _,
        } => {
            let draft = UserDraft {
                email,
                display_name: name,
                role,
            };
            let user = draft.validate()?;
            // Said before the password is asked for; the database still
            // decides, should someone take the address meanwhile.
            if queries::find_by_email(conn, user.email())?.is_some() {
                return Err(AccountError::EmailTaken(user.email().to_owned()).into());
            }
            let password =
                NewPassword::parse(&read_password()?, user.email(), user.display_name())?;
            let created = queries::create(conn, &actor, &user, &password.hash())?;
            println!(
                "created {} account for {} ({})",
                created.role.with_article(),
                created.display_name,
                created.email
            );
        }
        UsersCommand::List => print_list(&queries::list(conn)?),
        UsersCommand::SetRole { email, role } => {
            let changed = queries::set_role(conn, &actor, &email, role)?;
            let after = &changed.after;
            if changed.changed_anything() {
                println!(
                    "{} is now {} (was {})",
                    after.email,
                    after.role.with_article(),
                    changed.before.role.with_article()
                );
            } else {
                println!("{} is already {}", after.email, after.role.with_article());
            }
        }
        UsersCommand::Deactivate { email } => {
            let changed = queries::deactivate(conn, &actor, &email)?;
            if changed.changed_anything() {
                println!(
                    "deactivated {}: it can no longer sign in",
                    changed.after.email
                );
            } else {
                println!("{} was already deactivated", changed.after.email);
            }
        }
        UsersCommand::Activate { email } => {
            let changed = queries::activate(conn, &actor, &email)?;
            if changed.changed_anything() {
                println!("activated {}: it can sign in again", changed.after.email);
            } else {
                println!("{} is already active", changed.after.email);
            }
        }
        UsersCommand::ResetPassword {
            email,
            password_stdin: _,
        } => {
            let user = queries::find_by_email(conn, &email)?
                .ok_or_else(|| AccountError::NotFound(email.trim().to_owned()))?;
            let typed = read_password()?;
            let password = NewPassword::parse(&typed, &user.email, &user.display_name)?;
            let user = queries::reset_password(conn, &actor, &user.email, &password.hash())?;
            println!("changed the password of {}", user.email);
        }
    }
    Ok(())
}

/// More than any password can be ([`accounts::password::MAX_CHARS`]
/// characters of at most 4 bytes), so a longer input is refused unread.
const STDIN_LIMIT: u64 = 64 * 1024;

/// The password on standard input: one line, without its line break (and
/// nothing else: no trimming). From a pipe, the whole input must be that
/// one line; typed at a terminal, it ends at Enter and is not echoed.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let mut bytes = Vec::new();
    if stdin.is_terminal() {
        // Typed: not shown on the screen (the terminal's echo is off).
        let typed = rpassword::prompt_password("Password: ")
            .context("cannot read the password from the terminal")?;
        bytes = typed.into_bytes();
    } else {
        stdin
            .lock()
            .take(STDIN_LIMIT + 1)
            .read_to_end(&mut bytes)
            .context("cannot read the password from standard input")?;
    }
    if bytes.len() as u64 > STDIN_LIMIT {
        bail!(
            "Password must be at most {} characters",
            accounts::password::MAX_CHARS
        );
    }
    let text = String::from_utf8(bytes).context("the password on standard input is not UTF-8")?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.contains(['\n', '\r']) {
        bail!("standard input must hold the password on one line, and nothing else");
    }
    if line.is_empty() {
        bail!(
            "no password on standard input: pipe it in, as in printf '%s\\n' \"$PASSWORD\" | student-registry users …"
        );
    }
    Ok(line.to_owned())
}

/// "an admin", "an editor", "a viewer".
/// Every account, one a line.
fn print_list(users: &[User]) {
    if users.is_empty() {
        println!(
            "no accounts yet: create one with \
             student-registry users create --email E --name N --role admin --password-stdin"
        );
        return;
    }
    const HEADER: [&str; 6] = ["EMAIL", "NAME", "ROLE", "ACTIVE", "CREATED", "LAST SIGN-IN"];
    let rows: Vec<[String; 6]> = users
        .iter()
        .map(|user| {
            [
                user.email.clone(),
                user.display_name.clone(),
                user.role.to_string(),
                if user.active { "yes" } else { "no" }.to_owned(),
                format::rfc3339(&user.created_at),
                user.last_sign_in_at
                    .as_ref()
                    .map_or_else(|| "never".to_owned(), format::rfc3339),
            ]
        })
        .collect();
    table::print(HEADER, &rows);
}
