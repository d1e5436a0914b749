//! Sign-in throttling (`accounts::throttle`) on a real database of this
//! binary's backend (tests/postgres includes this file too). Every call is
//! given its `now`, so the window slides without anyone sleeping.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use student_registry::accounts::throttle::{self, ThrottleRules};
use student_registry::database::AnyConnection;
use student_registry::schema::sign_in_failures;

use crate::helpers::TestDatabase;

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";

/// A migrated database, one connection to it, and the default rules: 5
/// failures per account and 20 per address in 15 minutes.
struct Throttle {
    _db: TestDatabase,
    conn: AnyConnection,
    rules: ThrottleRules,
}

impl Throttle {
    fn new() -> Self {
        Self::with_rules(ThrottleRules::default())
    }

    fn with_rules(rules: ThrottleRules) -> Self {
        let db = TestDatabase::new();
        let mut conn = db.connect();
        conn.run_pending_migrations(db.migrations()).unwrap();
        Self {
            _db: db,
            conn,
            rules,
        }
    }

    fn fail(&mut self, email: &str, address: &str, at: DateTime<Utc>) {
        self.rules
            .record_failure(&mut self.conn, email, ip(address), at)
            .unwrap();
    }

    /// `Retry-After` in seconds, or `None` when the attempt may go ahead.
    fn retry_after(&mut self, email: &str, address: &str, at: DateTime<Utc>) -> Option<u64> {
        self.rules
            .check(&mut self.conn, email, ip(address), at)
            .unwrap()
            .map(|retry| retry.seconds())
    }

    fn rows(&mut self) -> i64 {
        let count = sign_in_failures::table.count();
        match &mut self.conn {
            AnyConnection::Sqlite(c) => count.get_result(c),
            AnyConnection::Postgresql(c) => count.get_result(c),
        }
        .unwrap()
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// A fixed moment, plus `secs` seconds.
fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::seconds(secs)
}

const MINUTE: i64 = 60;
const WINDOW: i64 = 15 * MINUTE;

#[test]
fn five_failures_throttle_an_account_from_any_address_until_the_oldest_leaves_the_window() {
    let mut throttle = Throttle::new();
    for n in 0..4 {
        throttle.fail(ADA, &format!("192.0.2.{n}"), at(n * MINUTE));
        assert_eq!(
            throttle.retry_after(ADA, "198.51.100.1", at(n * MINUTE)),
            None
        );
    }
    throttle.fail(ADA, "192.0.2.4", at(4 * MINUTE));

    // From a new address too: the limit is the account's.
    assert_eq!(
        throttle.retry_after(ADA, "198.51.100.1", at(4 * MINUTE)),
        Some((WINDOW - 4 * MINUTE) as u64)
    );
    assert_eq!(
        throttle.retry_after(ADA, "198.51.100.1", at(10 * MINUTE + 30)),
        Some((WINDOW - 10 * MINUTE - 30) as u64)
    );
    assert_eq!(
        throttle.retry_after(ADA, "198.51.100.1", at(WINDOW - 1)),
        Some(1)
    );
    // The first failure has left the window: four remain, one more try.
    assert_eq!(throttle.retry_after(ADA, "198.51.100.1", at(WINDOW)), None);
    // Another account from the same addresses was never throttled.
    assert_eq!(throttle.retry_after(BOB, "192.0.2.4", at(4 * MINUTE)), None);
}

#[test]
fn twenty_failures_from_one_address_throttle_every_account_from_it() {
    let mut throttle = Throttle::new();
    for n in 0..20 {
        // A different account each time: no account reaches its limit.
        throttle.fail(&format!("user{n}@example.com"), "203.0.113.9", at(n));
        // The twentieth, at second 19, throttles until the first (at 0) leaves.
        let expected = (n == 19).then_some((WINDOW - 19) as u64);
        assert_eq!(
            throttle.retry_after("someone@example.com", "203.0.113.9", at(n)),
            expected,
            "after {} failures",
            n + 1
        );
    }
    // Until the first of the twenty leaves the window.
    assert_eq!(
        throttle.retry_after(ADA, "203.0.113.9", at(WINDOW - 1)),
        Some(1)
    );
    assert_eq!(throttle.retry_after(ADA, "203.0.113.9", at(WINDOW)), None);
    // Other addresses are not throttled, nor another address in the same
    // IPv4 network.
    assert_eq!(throttle.retry_after(ADA, "203.0.113.10", at(30)), None);
    assert_eq!(throttle.retry_after(ADA, "2001:db8::1", at(30)), None);
}

#[test]
fn an_ipv6_client_counts_as_its_64_network() {
    let mut throttle = Throttle::with_rules(ThrottleRules {
        per_address: 3,
        ..ThrottleRules::default()
    });
    throttle.fail(ADA, "2001:db8:1:2::1", at(0));
    throttle.fail(BOB, "2001:db8:1:2::2", at(0));
    throttle.fail("carl@example.com", "2001:db8:1:2:ffff::9", at(0));
    assert_eq!(
        throttle.retry_after("dan@example.com", "2001:db8:1:2::77", at(0)),
        Some(WINDOW as u64)
    );
    assert_eq!(
        throttle.retry_after("dan@example.com", "2001:db8:1:3::1", at(0)),
        None
    );
    // IPv4 arriving as an IPv4-mapped IPv6 address is the IPv4 address.
    throttle.fail(ADA, "::ffff:192.0.2.1", at(0));
    throttle.fail(BOB, "192.0.2.1", at(0));
    throttle.fail("carl@example.com", "::ffff:192.0.2.1", at(0));
    assert_eq!(
        throttle.retry_after("dan@example.com", "192.0.2.1", at(0)),
        Some(WINDOW as u64)
    );
}

#[test]
fn the_window_slides_so_spread_out_failures_never_add_up() {
    let mut throttle = Throttle::new();
    // One failure every four minutes: never five inside fifteen minutes.
    for n in 0..20 {
        let now = at(n * 4 * MINUTE);
        assert_eq!(throttle.retry_after(ADA, "192.0.2.1", now), None, "try {n}");
        throttle.fail(ADA, "192.0.2.1", now);
    }
    // One every three minutes: the fifth lands inside the window of the
    // first, and the wait is until that first one has left it.
    let mut throttle = Throttle::new();
    for n in 0..5 {
        throttle.fail(ADA, "192.0.2.1", at(n * 3 * MINUTE));
    }
    assert_eq!(
        throttle.retry_after(ADA, "192.0.2.1", at(12 * MINUTE)),
        Some(3 * MINUTE as u64)
    );
    assert_eq!(throttle.retry_after(ADA, "192.0.2.1", at(WINDOW)), None);
    // A sixth failure then (the first no longer counts) throttles again,
    // until the second one leaves.
    throttle.fail(ADA, "192.0.2.1", at(WINDOW));
    assert_eq!(
        throttle.retry_after(ADA, "192.0.2.1", at(WINDOW)),
        Some(3 * MINUTE as u64)
    );
}

#[test]
fn retry_after_counts_to_the_failure_whose_leaving_lets_one_more_try_in() {
    // Racing requests can record more failures than the limit: the wait is
    // until the count is below the limit again, not until the oldest leaves.
    let mut throttle = Throttle::with_rules(ThrottleRules {
        per_account: 2,
        ..ThrottleRules::default()
    });
    throttle.fail(ADA, "192.0.2.1", at(0));
    throttle.fail(ADA, "192.0.2.2", at(100));
    throttle.fail(ADA, "192.0.2.3", at(200));
    // Failures at 0, 100 and 200; at 300, two of them must leave: 0 and 100.
    assert_eq!(
        throttle.retry_after(ADA, "198.51.100.1", at(300)),
        Some((100 + WINDOW - 300) as u64)
    );
    assert_eq!(
        throttle.retry_after(ADA, "198.51.100.1", at(100 + WINDOW)),
        None
    );
}

#[test]
fn times_within_a_second_round_the_same_way_on_every_backend() {
    let mut throttle = Throttle::with_rules(ThrottleRules {
        per_account: 1,
        ..ThrottleRules::default()
    });
    // PostgreSQL's TIMESTAMP(0) would round .9 up to the next second.
    throttle.fail(ADA, "192.0.2.1", at(0) + TimeDelta::milliseconds(900));
    assert_eq!(
        throttle.retry_after(ADA, "192.0.2.1", at(0) + TimeDelta::milliseconds(999)),
        Some(WINDOW as u64)
    );
    assert_eq!(
        throttle.retry_after(ADA, "192.0.2.1", at(WINDOW) + TimeDelta::milliseconds(1)),
        None
    );
}

#[test]
fn emails_differing_only_in_case_or_form_are_one_account() {
    let mut throttle = Throttle::new();
    for typed in [
        "ada@example.com",
        "ADA@EXAMPLE.COM",
        " Ada@Example.com ",
        "ada@ＥXAMPLE.com",
        "aDa@example.COM",
    ] {
        throttle.fail(typed, "192.0.2.1", at(0));
    }
    assert_eq!(
        throttle.retry_after("Ada@example.com", "198.51.100.1", at(1)),
        Some((WINDOW - 1) as u64)
    );
    assert_eq!(
        throttle.retry_after("ada@example.org", "198.51.100.1", at(1)),
        None
    );
}

#[test]
fn a_success_clears_the_accounts_failures_but_not_the_addresss() {
    let mut throttle = Throttle::with_rules(ThrottleRules {
        per_account: 5,
        per_address: 6,
        window: Duration::from_secs(WINDOW as u64),
    });
    for n in 0..4 {
        throttle.fail(ADA, "192.0.2.1", at(n));
    }
    throttle.fail(BOB, "192.0.2.1", at(4));
    throttle::record_success(&mut throttle.conn, "ADA@example.com").unwrap();

    // Four more of Ada's would have made nine: after the success they make
    // four, under her limit; Bob's failure is still there.
    for n in 0..4 {
        throttle.fail(ADA, "198.51.100.1", at(10 + n));
    }
    assert_eq!(throttle.retry_after(ADA, "198.51.100.2", at(20)), None);
    throttle.fail(ADA, "198.51.100.1", at(20));
    assert_eq!(
        throttle.retry_after(ADA, "198.51.100.2", at(20)),
        Some((WINDOW - 10) as u64)
    );
    // The first address keeps its five failures (four of Ada's, one of
    // Bob's): one more, and it is throttled, for anyone.
    throttle.fail("carl@example.com", "192.0.2.1", at(21));
    assert_eq!(
        throttle.retry_after("dan@example.com", "192.0.2.1", at(21)),
        Some((WINDOW - 21) as u64)
    );
}

#[test]
fn a_correct_password_after_the_window_always_works() {
    // However many failures piled up (racing requests, or the limit lowered
    // since), none locks anyone out past the window after the last of them.
    let mut throttle = Throttle::new();
    for n in 0..50 {
        throttle.fail(ADA, "192.0.2.1", at(n));
    }
    assert!(throttle.retry_after(ADA, "192.0.2.1", at(50)).is_some());
    assert_eq!(
        throttle.retry_after(ADA, "192.0.2.1", at(49 + WINDOW)),
        None
    );
    assert_eq!(
        throttle.retry_after(ADA, "192.0.2.1", at(49 + WINDOW + 86_400)),
        None
    );
}

#[test]
fn recording_a_failure_deletes_every_failure_older_than_the_window() {
    let mut throttle = Throttle::new();
    throttle.fail(ADA, "192.0.2.1", at(0));
    throttle.fail(BOB, "192.0.2.2", at(60));
    throttle.fail("carl@example.com", "2001:db8::1", at(120));
    assert_eq!(throttle.rows(), 3);
    // A failure about someone else, elsewhere, after Ada's and Bob's left
    // the window.
    throttle.fail("dan@example.com", "203.0.113.1", at(60 + WINDOW));
    assert_eq!(throttle.rows(), 2);
    throttle.fail("dan@example.com", "203.0.113.1", at(120 + WINDOW + 1));
    assert_eq!(throttle.rows(), 2);
}
