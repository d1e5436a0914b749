//! Sign-in throttling: `SIGN_IN_MAX_FAILURES_PER_ACCOUNT`,
//! `SIGN_IN_MAX_FAILURES_PER_ADDRESS`, `SIGN_IN_FAILURE_WINDOW_SECS`. Plain
//! numbers here; `accounts::throttle` applies them.

use std::time::Duration;

use anyhow::bail;

use super::parse_or;

/// Five wrong passwords are plenty of typos, and few guesses.
pub const DEFAULT_MAX_FAILURES_PER_ACCOUNT: u32 = 5;
/// Higher than per account: a school's staff may share one address (a NAT,
/// a proxy), and each of them may mistype.
pub const DEFAULT_MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// Fifteen minutes: long enough to slow guessing to a crawl, short enough
/// that a locked-out teacher can get back in before the lesson ends.
pub const DEFAULT_FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// A day: failures are kept for one window, and anyone can add them, so a
/// longer window would only grow the table (and lock people out longer).
pub const MAX_FAILURE_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// How many failed sign-ins, within how long, make the app refuse to try
/// more (429 with `Retry-After`) until the oldest of them is old enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInSettings {
    /// For one account (the email typed, ignoring case).
    pub max_failures_per_account: u32,
    /// From one client address.
    pub max_failures_per_address: u32,
    pub failure_window: Duration,
}

impl Default for SignInSettings {
    fn default() -> Self {
        Self {
            max_failures_per_account: DEFAULT_MAX_FAILURES_PER_ACCOUNT,
            max_failures_per_address: DEFAULT_MAX_FAILURES_PER_ADDRESS,
            failure_window: DEFAULT_FAILURE_WINDOW,
        }
    }
}

impl SignInSettings {
    /// Reads the three variables through `get` (which returns `None` for
    /// unset or blank ones).
    pub(super) fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let at_least_one = |name: &str, default: u32| -> anyhow::Result<u32> {
            let value = parse_or(get(name), name, default)?;
            if value == 0 {
                // Zero would refuse every sign-in: not a way to turn it off.
                bail!("{name} must be at least 1");
            }
            Ok(value)
        };
        let max_failures_per_account = at_least_one(
            "SIGN_IN_MAX_FAILURES_PER_ACCOUNT",
            DEFAULT_MAX_FAILURES_PER_ACCOUNT,
        )?;
        let max_failures_per_address = at_least_one(
            "SIGN_IN_MAX_FAILURES_PER_ADDRESS",
            DEFAULT_MAX_FAILURES_PER_ADDRESS,
        )?;
        let window_secs: u64 = parse_or(
            get("SIGN_IN_FAILURE_WINDOW_SECS"),
            "SIGN_IN_FAILURE_WINDOW_SECS",
            DEFAULT_FAILURE_WINDOW.as_secs(),
        )?;
        if !(1..=MAX_FAILURE_WINDOW.as_secs()).contains(&window_secs) {
            bail!(
                "SIGN_IN_FAILURE_WINDOW_SECS must be from 1 to {}",
                MAX_FAILURE_WINDOW.as_secs()
            );
        }
        Ok(Self {
            max_failures_per_account,
            max_failures_per_address,
            failure_window: Duration::from_secs(window_secs),
        })
    }
}
