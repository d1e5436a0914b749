//! [`StoredTime`]: a timestamp column as read from the database, parsed
//! without chrono's format machinery on SQLite.
//!
//! SQLite keeps timestamps as text, and diesel reads each one with chrono's
//! `parse_from_str`, which interprets a format string on every call: two
//! timestamps per student made it a tenth of the 100-row index's CPU time
//! (perf). The text is always `YYYY-MM-DD HH:MM:SS` with an optional
//! fraction (SQLite's `CURRENT_TIMESTAMP`, diesel's own encoding); anything
//! else still goes to diesel's parser. [`StoredDate`] does the same for
//! date columns (`YYYY-MM-DD`), one per class-list row, and
//! [`StoredOptionalTime`] for a nullable timestamp (an account's last
//! sign-in, read with the session on every page).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::{Date, Nullable, Timestamp};
use diesel::sqlite::{Sqlite, SqliteValue};

/// Read as a model field with `#[diesel(deserialize_as = StoredTime)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct StoredTime(pub NaiveDateTime);

impl From<StoredTime> for NaiveDateTime {
    fn from(time: StoredTime) -> Self {
        time.0
    }
}

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if let Some(time) = parse(value.read_text()) {
            return Ok(Self(time));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, Pg> for StoredTime {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Self)
    }
}

/// Read as a model field with `#[diesel(deserialize_as = StoredOptionalTime)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct StoredOptionalTime(pub Option<NaiveDateTime>);

impl From<StoredOptionalTime> for Option<NaiveDateTime> {
    fn from(time: StoredOptionalTime) -> Self {
        time.0
    }
}

impl FromSql<Nullable<Timestamp>, Sqlite> for StoredOptionalTime {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        <StoredTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(|time| Self(Some(time.0)))
    }

    fn from_nullable_sql(value: Option<SqliteValue<'_, '_, '_>>) -> deserialize::Result<Self> {
        value.map_or(
            Ok(Self(None)),
            <Self as FromSql<Nullable<Timestamp>, Sqlite>>::from_sql,
        )
    }
}

impl FromSql<Nullable<Timestamp>, Pg> for StoredOptionalTime {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(|time| Self(Some(time)))
    }

    fn from_nullable_sql(value: Option<PgValue<'_>>) -> deserialize::Result<Self> {
        value.map_or(
            Ok(Self(None)),
            <Self as FromSql<Nullable<Timestamp>, Pg>>::from_sql,
        )
    }
}

/// Read as a model field with `#[diesel(deserialize_as = StoredDate)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct StoredDate(pub NaiveDate);

impl From<StoredDate> for NaiveDate {
    fn from(date: StoredDate) -> Self {
        date.0
    }
}

impl FromSql<Date, Sqlite> for StoredDate {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if let Some(date) = parse_date(value.read_text().as_bytes()) {
            return Ok(Self(date));
        }
        <NaiveDate as FromSql<Date, Sqlite>>::from_sql(value).map(Self)
    }
}

impl FromSql<Date, Pg> for StoredDate {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDate as FromSql<Date, Pg>>::from_sql(value).map(Self)
    }
}

/// Exactly `YYYY-MM-DD`.
fn parse_date(bytes: &[u8]) -> Option<NaiveDate> {
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(digits(&bytes[0..4])?).ok()?,
        digits(&bytes[5..7])?,
        digits(&bytes[8..10])?,
    )
}

/// `YYYY-MM-DD HH:MM:SS`, then nothing or `.` and 1 to 9 digits.
fn parse(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    let (main, fraction) = bytes.split_at_checked(19)?;
    let separators_fit = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')]
        .iter()
        .all(|&(at, separator)| main[at] == separator);
    if !separators_fit {
        return None;
    }
    let number = |from: usize, to: usize| digits(&main[from..to]);
    let date = parse_date(&main[..10])?;
    let nanoseconds = match fraction {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    date.and_hms_nano_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
        nanoseconds,
    )
}

/// The number `bytes` spell, if all are ASCII digits (at most 9 of them).
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |number, &byte| {
        byte.is_ascii_digit()
            .then(|| number * 10 + u32::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::{StoredOptionalTime, parse, parse_date};
    use chrono::{NaiveDate, NaiveDateTime};
    use diesel::prelude::*;

    #[test]
    fn a_nullable_time_reads_null_as_none_and_text_as_chrono_does() {
        fn read(conn: &mut SqliteConnection, sql: &str) -> Option<NaiveDateTime> {
            let column =
                diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Timestamp>>(sql);
            diesel::select(column)
                .get_result::<StoredOptionalTime>(conn)
                .expect("read")
                .0
        }
        let mut conn = SqliteConnection::establish(":memory:").expect("a database");
        assert_eq!(read(&mut conn, "NULL"), None);
        assert_eq!(
            read(&mut conn, "'2026-12-05 00:29:44'"),
            NaiveDateTime::parse_from_str("2026-12-05 00:29:44", "%F %T").ok()
        );
        // Not the stored form: left to diesel's parser, which reads this too.
        assert_eq!(
            read(&mut conn, "'2026-12-05T00:29:44'"),
            NaiveDateTime::parse_from_str("2026-12-05 00:29:44", "%F %T").ok()
        );
    }

    #[test]
    fn reads_dates_as_chrono_does_and_leaves_the_rest_to_it() {
        for text in ["2026-12-05", "1999-01-31", "2024-02-29", "0001-01-01"] {
            assert_eq!(
                parse_date(text.as_bytes()),
                NaiveDate::parse_from_str(text, "%F").ok(),
                "{text}"
            );
            assert!(parse_date(text.as_bytes()).is_some(), "{text}");
        }
        for text in [
            "",
            "2026-12-5",
            "2026-12-05 00:00:00",
            "2023-02-29",
            "2026-00-10",
            "2026/12/05",
            "+2026-12-0",
            "2026-1a-05",
        ] {
            assert_eq!(parse_date(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn reads_what_chrono_reads_and_leaves_the_rest_to_it() {
        for text in [
            "2026-12-05 00:29:44",
            "2026-12-05 00:29:44.5",
            "2026-12-05 00:29:44.123456",
            "2026-12-05 00:29:44.123456789",
            "1999-01-31 23:59:59",
            "2024-02-29 12:00:00",
        ] {
            assert_eq!(
                parse(text),
                NaiveDateTime::parse_from_str(text, "%F %T%.f").ok(),
                "{text}"
            );
            assert!(parse(text).is_some(), "{text}");
        }
        for text in [
            "",
            "2026-12-05",
            "2026-12-05T00:29:44",
            "2026-12-05 00:29:44Z",
            "2026-12-05 00:29:44+01:00",
            "2026-12-05 00:29:44.",
            "2026-12-05 00:29:44.1234567890",
            "2026-13-05 00:29:44",
            "2023-02-29 00:00:00",
            "2026-12-05 24:00:00",
            "2026-1a-05 00:29:44",
            "２０２６-12-05 00:29",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
