-- One row per failed sign-in, so repeated failures for one account or from
-- one address can be throttled (src/accounts/throttle.rs). Kept in the
-- database rather than in memory so the limits hold across app instances.
-- account: the email as typed, in its standard form and lower case, whether
-- or not such an account exists (a throttle only for real accounts would
-- tell an attacker which exist). Cut to 254 characters, the longest email.
-- NULL once that account has signed in: the failure no longer counts against
-- the account, but still against the address.
-- address: the client's IP address (an IPv6 client's /64 network).
-- failed_at: UTC, whole seconds. Rows older than the window are deleted
-- whenever a failure is recorded, so the table holds one window's failures.
-- No AUTOINCREMENT: nothing refers to these rows, so reusing an id is harmless.
CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY NOT NULL,
    account TEXT CHECK (length(account) <= 254),
    address TEXT NOT NULL CHECK (length(address) <= 64),
    failed_at TIMESTAMP NOT NULL
);

-- The two lookups: an account's (or an address's) failures since a time.
CREATE INDEX sign_in_failures_account_idx ON sign_in_failures (account, failed_at);
CREATE INDEX sign_in_failures_address_idx ON sign_in_failures (address, failed_at);
-- The prune: every row older than the window, whoever it is about.
CREATE INDEX sign_in_failures_failed_at_idx ON sign_in_failures (failed_at);
