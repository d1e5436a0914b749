//! Sign-in throttling: after too many failed sign-ins for one account, or
//! from one address, within a window, further attempts are refused (429 with
//! `Retry-After`) until enough of those failures are older than the window.
//!
//! The failures live in the `sign_in_failures` table, never in memory, so the
//! limits hold across app instances on one database. How the sign-in handler
//! uses this module:
//!
//! 1. [`ThrottleRules::check`] before looking at the password (so a
//!    throttled attempt costs no password hashing). `Some(retry)`: answer 429
//!    with `Retry-After: retry.seconds()`, and record nothing, so a client
//!    that waits as told gets its turn.
//! 2. A wrong password (or an unknown email, answered alike):
//!    [`ThrottleRules::record_failure`].
//! 3. A correct one: [`record_success`], which forgets the account's
//!    failures (they still count for the address: see there).
//!
//! The window slides: each failure counts for `window` after it happened,
//! then is forgotten. Nothing locks an account for good; a correct password
//! works again once the failures are older than the window. An attacker who
//! keeps failing for an account keeps it throttled while they keep at it
//! (and at most one window longer): per-account limits trade that for
//! stopping guesses spread over many addresses. The address limit is higher,
//! so people sharing a school's address are not all locked out by one.
//!
//! Check and record are separate statements, so requests racing each other
//! (across connections or instances) can each pass the check before any of
//! them records its failure: the limit can be exceeded by at most the number
//! of sign-ins that run at the same moment, within one window.
//!
//! Times are whole seconds, as every timestamp this app stores (PostgreSQL's
//! `TIMESTAMP(0)` rounds, so `now` is cut to the second first; both backends
//! then store and compare the same values).

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, DurationRound, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::validation::EMAIL_MAX;
use crate::config::SignInSettings;
use crate::database::{DbConnection, DbError, on_backend};
use crate::email;
use crate::schema::sign_in_failures;

/// How many failures, within how long, throttle an account or an address.
/// From the settings (`SIGN_IN_*`), or [`Default`]: 5 per account and 20 per
/// address in 15 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRules {
    /// Failures for one account (the email typed, ignoring case) that
    /// throttle it. At least 1.
    pub per_account: u32,
    /// Failures from one address (an IPv6 client's /64) that throttle it.
    /// At least 1.
    pub per_address: u32,
    /// How long a failure counts. At least a second.
    pub window: Duration,
}

impl Default for ThrottleRules {
    fn default() -> Self {
        Self::from(&SignInSettings::default())
    }
}

impl From<&SignInSettings> for ThrottleRules {
    fn from(settings: &SignInSettings) -> Self {
        Self {
            per_account: settings.max_failures_per_account,
            per_address: settings.max_failures_per_address,
            window: settings.failure_window,
        }
    }
}

/// How long a throttled client must wait: the value of `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RetryAfter {
    seconds: u64,
}

impl RetryAfter {
    /// Whole seconds, at least 1.
    pub fn seconds(self) -> u64 {
        self.seconds
    }
}

impl ThrottleRules {
    /// `Some` when the account `email` names, or `address`, has as many
    /// failures inside the window as its limit allows: then how long until
    /// enough of them leave the window for one more attempt (the longer of
    /// the two, when both are throttled). A read: run it with
    /// `Database::run`.
    pub fn check(
        &self,
        conn: &mut DbConnection,
        email: &str,
        address: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Option<RetryAfter>, DbError> {
        let now = whole_seconds(now);
        let since = now - self.window_delta();
        let account = account_key(email);
        let address = address_key(address);
        // The limit-th newest failure inside the window is the one whose
        // leaving lets one more attempt in; none means under the limit.
        let account_blocker: Option<NaiveDateTime> = on_backend!(conn, |c| {
            sign_in_failures::table
                .filter(sign_in_failures::account.eq(&account))
                .filter(sign_in_failures::failed_at.gt(since))
                .order(sign_in_failures::failed_at.desc())
                .select(sign_in_failures::failed_at)
                .offset(nth_newest(self.per_account))
                .first(c)
                .optional()
        })?;
        let address_blocker: Option<NaiveDateTime> = on_backend!(conn, |c| {
            sign_in_failures::table
                .filter(sign_in_failures::address.eq(&address))
                .filter(sign_in_failures::failed_at.gt(since))
                .order(sign_in_failures::failed_at.desc())
                .select(sign_in_failures::failed_at)
                .offset(nth_newest(self.per_address))
                .first(c)
                .optional()
        })?;
        Ok([account_blocker, address_blocker]
            .into_iter()
            .flatten()
            .map(|failed_at| self.retry_after(failed_at, now))
            .max())
    }

    /// Claims one sign-in attempt for the account `email` names, from
    /// `address`: under the limits, the attempt is recorded as a failure at
    /// once, before its password is checked, and its row's id returned (a
    /// correct password then withdraws it: [`withdraw`]); over them, how
    /// long to wait. Counting and recording in one write transaction means
    /// attempts sent in parallel are counted one by one, so none gets past
    /// the limit: SQLite's write transaction excludes every other writer,
    /// and on PostgreSQL claims for one account, then for one address, wait
    /// for each other (always in that order, so two never deadlock).
    pub fn claim(
        &self,
        conn: &mut DbConnection,
        email: &str,
        address: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Result<i32, RetryAfter>, DbError> {
        conn.write_transaction(|conn| {
            if let DbConnection::Postgresql(c) = conn {
                for key in [
                    format!("sign-in account {}", account_key(email)),
                    format!("sign-in address {}", address_key(address)),
                ] {
                    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
                        .bind::<Text, _>(key)
                        .execute(c)?;
                }
            }
            if let Some(retry) = self.check(conn, email, address, now)? {
                return Ok(Err(retry));
            }
            Ok(Ok(self.record_failure(conn, email, address, now)?))
        })
    }

    /// Records a failed sign-in for the account `email` names, from
    /// `address`, and deletes every failure older than the window (whoever
    /// it was about), so the table holds one window's failures. Returns its
    /// row's id. Inside the caller's write transaction ([`Self::claim`]).
    pub fn record_failure(
        &self,
        conn: &mut DbConnection,
        email: &str,
        address: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<i32, DbError> {
        let now = whole_seconds(now);
        let expired = now - self.window_delta();
        let row = NewFailure {
            account: account_key(email),
            address: address_key(address),
            failed_at: now,
        };
        Ok(on_backend!(conn, |c| {
            diesel::delete(sign_in_failures::table.filter(sign_in_failures::failed_at.le(expired)))
                .execute(c)?;
            diesel::insert_into(sign_in_failures::table)
                .values(&row)
                .returning(sign_in_failures::id)
                .get_result(c)
        })?)
    }

    fn window_delta(&self) -> TimeDelta {
        // The settings cap the window at a day; the fallback only keeps an
        // absurd value from panicking.
        TimeDelta::from_std(self.window).unwrap_or(TimeDelta::days(1))
    }

    /// From `now` until `failed_at` leaves the window, in whole seconds.
    fn retry_after(&self, failed_at: NaiveDateTime, now: NaiveDateTime) -> RetryAfter {
        let left = (failed_at + self.window_delta() - now).num_seconds();
        RetryAfter {
            seconds: u64::try_from(left).unwrap_or(0).max(1),
        }
    }
}

/// A successful sign-in forgets the account's failures, so someone who
/// mistyped a few times and then got in starts afresh. They still count for
/// the addresses they came from (the rows stay, without their account):
/// otherwise an attacker with an account of their own could sign into it
/// between guesses at others' and never reach the address limit. Inside
/// the caller's write transaction ([`super::sign_in::succeeded`]).
pub fn record_success(conn: &mut DbConnection, email: &str) -> Result<(), DbError> {
    let account = account_key(email);
    on_backend!(conn, |c| diesel::update(
        sign_in_failures::table.filter(sign_in_failures::account.eq(&account))
    )
    .set(sign_in_failures::account.eq(None::<String>))
    .execute(c))?;
    Ok(())
}

/// Withdraws a claimed attempt whose password was right: it was no failure.
/// Inside the caller's write transaction ([`super::sign_in::succeeded`]).
pub fn withdraw(conn: &mut DbConnection, claim: i32) -> Result<(), DbError> {
    on_backend!(conn, |c| diesel::delete(
        sign_in_failures::table.find(claim)
    )
    .execute(c))?;
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = sign_in_failures)]
struct NewFailure {
    account: String,
    address: String,
    failed_at: NaiveDateTime,
}

/// The account an attempt was for: the email as typed, in the standard form
/// accounts are stored in ([`email::standard_email`]), in lower case, as
/// emails are compared. An address that is not a valid email still gets a
/// key (no account has it, but answering it differently would say so), cut
/// to the longest email so a huge one cannot bloat the table.
pub fn account_key(email: &str) -> String {
    email::standard_email(email.trim())
        .to_lowercase()
        .chars()
        .take(EMAIL_MAX)
        .collect()
}

/// The client an attempt came from: an IPv4 address as such (also when it
/// arrives as an IPv4-mapped IPv6 address); an IPv6 address by its /64
/// network, since one client (one home, one server) is usually given a
/// whole /64 and could otherwise try each of its addresses in turn.
pub fn address_key(address: IpAddr) -> String {
    match address.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
    }
}

/// How many of the newest failures to skip to reach the limit-th one.
fn nth_newest(limit: u32) -> i64 {
    i64::from(limit.max(1) - 1)
}

/// `now` in UTC, cut to the whole second.
fn whole_seconds(now: DateTime<Utc>) -> NaiveDateTime {
    now.duration_trunc(TimeDelta::seconds(1))
        .unwrap_or(now)
        .naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_its_standard_email_in_lower_case() {
        assert_eq!(account_key(" Ada@Example.COM "), "ada@example.com");
        assert_eq!(account_key("ada@ＥXAMPLE.com"), "ada@example.com");
        assert_eq!(
            account_key("ada@xn--bcher-kva.example"),
            "ada@bücher.example"
        );
        assert_eq!(account_key("not an email"), "not an email");
        assert_eq!(account_key(&"A".repeat(1000)), "a".repeat(EMAIL_MAX));
    }

    #[test]
    fn an_ipv6_client_is_its_64_network_and_a_mapped_ipv4_one_its_ipv4_address() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2::ffff"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(key("::1"), "::/64");
        let longest = key("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assert!(longest.len() <= 64, "{longest}");
    }

    #[test]
    fn a_retry_is_at_least_a_second_and_counts_to_the_failure_leaving_the_window() {
        let rules = ThrottleRules::default();
        let at = |secs: i64| DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap();
        let failed = whole_seconds(at(0));
        assert_eq!(
            rules.retry_after(failed, whole_seconds(at(0))).seconds(),
            900
        );
        assert_eq!(
            rules.retry_after(failed, whole_seconds(at(899))).seconds(),
            1
        );
        assert_eq!(
            rules.retry_after(failed, whole_seconds(at(900))).seconds(),
            1
        );
    }

    #[test]
    fn defaults_are_five_per_account_and_twenty_per_address_in_fifteen_minutes() {
        let rules = ThrottleRules::default();
        assert_eq!(rules.per_account, 5);
        assert_eq!(rules.per_address, 20);
        assert_eq!(rules.window, Duration::from_secs(15 * 60));
    }
}
