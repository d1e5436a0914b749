//! A data upgrade run at start-up, after the migrations: rows stored before
//! emails were kept in their standard form are brought into it.

use anyhow::Context;
use diesel::dsl::{now, sql};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Bool, Text};
use diesel::{PgConnection, SqliteConnection};

use super::validation::{EMAIL_MAX, standard_email};
use crate::database::AnyConnection;
use crate::schema::students;

/// Brings stored emails into their standard form (see [`standard_email`]);
/// a [`crate::database::DataUpgrade`].
pub fn standardise(conn: &mut AnyConnection) -> anyhow::Result<()> {
    match conn {
        AnyConnection::Sqlite(conn) => standardise_sqlite(conn),
        AnyConnection::Postgresql(conn) => standardise_postgres(conn),
    }
}

diesel::define_sql_function! {
    fn lower(text: Text) -> Text;
}

/// Rows stored before emails were kept in their standard form (see
/// [`standard_email`]) are brought into it, so the unique index compares
/// them with new ones, and an edit that changes nothing stays a no-op. Only
/// emails with non-ASCII text, Punycode or a capital after the @ can differ
/// from their standard form; the others are not even read.
/// Two students whose emails turn out to be the same address are both kept
/// as they are and reported at error level on every start, until one of them
/// changes: deleting or rewriting someone's record is for a person to decide.
/// (A macro because the queries' types name their backend.) On SQLite the
/// transaction takes the write lock at its start (`BEGIN IMMEDIATE`): a read
/// that turns into a write could otherwise fail while a running server
/// writes.
macro_rules! standardise_emails {
    ($name:ident, $conn:ty, $begin:ident, $candidates:expr) => {
        fn $name(conn: &mut $conn) -> anyhow::Result<()> {
            conn.$begin(|conn| {
                let rows: Vec<(i32, String)> = students::table
                    .filter(sql::<Bool>($candidates))
                    .select((students::id, students::email))
                    .order(students::id)
                    .load(conn)?;
                for (id, email) in rows {
                    let standard = standard_email(&email);
                    if standard == email {
                        continue;
                    }
                    // The standard form can be longer than what was typed
                    // (`㎒` is `mhz`); past the column's limit it cannot be
                    // stored, and refusing to start would help no one.
                    if standard.chars().count() > EMAIL_MAX as usize {
                        tracing::error!(
                            "student {id}: email {email:?} kept as stored: its standard form \
                             {standard:?} is longer than {EMAIL_MAX} characters"
                        );
                        continue;
                    }
                    // A savepoint: on PostgreSQL a failed statement would
                    // otherwise end the whole transaction.
                    let updated = conn.transaction(|conn| {
                        diesel::update(students::table.find(id))
                            .set((
                                students::email.eq(&standard),
                                students::version.eq(students::version + 1),
                                students::updated_at.eq(now),
                            ))
                            .execute(conn)
                    });
                    match updated {
                        Ok(_) => tracing::info!(
                            "student {id}: email {email:?} stored in its standard form {standard:?}"
                        ),
                        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                            let others: Vec<i32> = students::table
                                .filter(students::id.ne(id))
                                .filter(lower(students::email).eq(lower(&standard)))
                                .select(students::id)
                                .load(conn)?;
                            tracing::error!(
                                "student {id}'s email {email:?} is the address of student(s) \
                                 {others:?} ({standard:?}): both kept as stored; student {id} \
                                 cannot be saved with this email until one of them changes it"
                            );
                        }
                        Err(err) => return Err(err),
                    }
                }
                Ok::<_, DieselError>(())
            })
            .context("cannot bring stored emails into their standard form")
        }
    };
}

standardise_emails!(
    standardise_sqlite,
    SqliteConnection,
    immediate_transaction,
    "students.email GLOB '*[^ -~]*' OR students.email GLOB '*@*[A-Z]*' \
     OR students.email LIKE '%xn--%'"
);
standardise_emails!(
    standardise_postgres,
    PgConnection,
    transaction,
    "students.email ~ '[^ -~]|@.*[A-Z]' OR students.email ILIKE '%xn--%'"
);
