//! `student-registry users …`: staff accounts from the command line, run as
//! an operator runs them (on either backend: tests/postgres includes this
//! file too).

use std::process::Output;

use student_registry::accounts::{
    AccountError, NewPassword, Role, User, UserDraft, password, queries,
};
use student_registry::audit::Actor;

use crate::cli::registry_with_input;
use crate::helpers::TestDatabase;

const ADA_PASSWORD: &str = "violet tractor mango reef";
const BOB_PASSWORD: &str = "quietly orbiting lanterns";

/// `users create --email EMAIL --name NAME --role ROLE --password-stdin`.
fn create<'a>(email: &'a str, name: &'a str, role: &'a str) -> [&'a str; 9] {
    [
        "users",
        "create",
        "--email",
        email,
        "--name",
        name,
        "--role",
        role,
        "--password-stdin",
    ]
}

/// A database with the app's migrations applied, and the commands on it.
struct Registry {
    db: TestDatabase,
}

impl Registry {
    fn new() -> Self {
        let registry = Self {
            db: TestDatabase::new(),
        };
        registry.succeeds(&["migrate"], "");
        registry
    }

    fn run(&self, args: &[&str], input: &str) -> Output {
        registry_with_input(self.db.url(), args, input)
    }

    /// Runs a command that must succeed, and returns what it printed.
    fn succeeds(&self, args: &[&str], input: &str) -> String {
        let output = self.run(args, input);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a command that must fail with `code`, and returns its one line
    /// on standard error.
    fn fails(&self, args: &[&str], input: &str, code: i32) -> String {
        let output = self.run(args, input);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr
    }

    fn create(&self, email: &str, name: &str, role: &str, password: &str) -> String {
        self.succeeds(&create(email, name, role), &format!("{password}\n"))
    }

    /// `users create` for bob@example.com that must fail with `code`.
    fn create_bob_fails(&self, role: &str, input: &str, code: i32) -> String {
        self.fails(&create("bob@example.com", "Bob Marsh", role), input, code)
    }

    fn user(&self, email: &str) -> Option<User> {
        queries::find_by_email(&mut self.db.connect(), email).unwrap()
    }

    fn users(&self) -> Vec<User> {
        queries::list(&mut self.db.connect()).unwrap()
    }
}

#[test]
fn an_account_is_created_listed_changed_deactivated_and_given_a_new_password() {
    let registry = Registry::new();
    assert!(
        registry
            .succeeds(&["users", "list"], "")
            .starts_with("no accounts yet")
    );

    let out = registry.create("Ada@Example.COM", " Ada Lovelace ", "admin", ADA_PASSWORD);
    assert_eq!(
        out,
        "created an admin account for Ada Lovelace (Ada@example.com)\n"
    );
    let out = registry.create("bob@example.com", "Bob Marsh", "viewer", BOB_PASSWORD);
    assert_eq!(
        out,
        "created a viewer account for Bob Marsh (bob@example.com)\n"
    );
    let ada = registry.user("ada@example.com").expect("created");
    assert_eq!(
        (
            ada.email.as_str(),
            ada.display_name.as_str(),
            ada.role,
            ada.active
        ),
        ("Ada@example.com", "Ada Lovelace", Role::Admin, true)
    );
    assert!(ada.password_hash.starts_with("$argon2id$"));
    assert!(password::verify(ADA_PASSWORD, &ada.password_hash));
    assert_eq!(ada.last_sign_in_at, None);

    let list = registry.succeeds(&["users", "list"], "");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    let columns = |line: &str| {
        line.split("  ")
            .filter(|c| !c.is_empty())
            .map(str::trim)
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        columns(lines[0]),
        ["EMAIL", "NAME", "ROLE", "ACTIVE", "CREATED", "LAST SIGN-IN"]
    );
    let created = student_registry::format::rfc3339(&ada.created_at);
    assert_eq!(
        columns(lines[1]),
        [
            "Ada@example.com",
            "Ada Lovelace",
            "admin",
            "yes",
            &created,
            "never"
        ]
    );
    assert_eq!(
        &columns(lines[2])[..4],
        ["bob@example.com", "Bob Marsh", "viewer", "yes"]
    );
    // The columns line up.
    assert_eq!(lines[0].find("ROLE"), lines[2].find("viewer"), "{list}");
    assert!(!list.contains("argon2"), "{list}");

    // Each says what it did; done again, it says there was nothing to do.
    for (args, done, again) in [
        (
            &set_role("BOB@example.com", "editor")[..],
            "bob@example.com is now an editor (was a viewer)\n",
            "bob@example.com is already an editor\n",
        ),
        (
            &deactivate("bob@example.com"),
            "deactivated bob@example.com: it can no longer sign in\n",
            "bob@example.com was already deactivated\n",
        ),
    ] {
        assert_eq!(registry.succeeds(args, ""), done);
        assert_eq!(registry.succeeds(args, ""), again);
    }
    assert_eq!(registry.user("bob@example.com").unwrap().role, Role::Editor);
    assert!(!registry.user("bob@example.com").unwrap().active);
    assert!(
        registry
            .succeeds(&["users", "list"], "")
            .contains("editor  no ")
    );
    // Activated again, with the role it had.
    let activate = ["users", "activate", "--email", "bob@example.com"];
    assert_eq!(
        registry.succeeds(&activate, ""),
        "activated bob@example.com: it can sign in again\n"
    );
    assert_eq!(
        registry.succeeds(&activate, ""),
        "bob@example.com is already active\n"
    );
    let bob = registry.user("bob@example.com").unwrap();
    assert!(bob.active && bob.role == Role::Editor);

    // The line break may be CRLF; everything else is the password.
    let new_password = "  fresh violet lanterns ";
    let out = registry.succeeds(
        &[
            "users",
            "reset-password",
            "--email",
            "ada@example.com",
            "--password-stdin",
        ],
        &format!("{new_password}\r\n"),
    );
    assert_eq!(out, "changed the password of Ada@example.com\n");
    let hash = registry.user("ada@example.com").unwrap().password_hash;
    assert!(password::verify(new_password, &hash));
    assert!(!password::verify(new_password.trim(), &hash));
    assert!(!password::verify(ADA_PASSWORD, &hash));
}

#[test]
fn an_email_is_taken_whatever_its_case() {
    let registry = Registry::new();
    registry.create("ada@example.com", "Ada Lovelace", "admin", ADA_PASSWORD);
    for (email, shown) in [
        ("ada@example.com", "ada@example.com"),
        ("ADA@EXAMPLE.COM", "ADA@example.com"),
        (" Ada@Example.com ", "Ada@example.com"),
    ] {
        let stderr = registry.fails(
            &create(email, "Another Ada", "viewer"),
            &format!("{BOB_PASSWORD}\n"),
            1,
        );
        assert_eq!(
            stderr.trim(),
            format!("error: another account already uses the email address {shown}")
        );
    }
    // The command asks before it hashes; the unique index has the last word,
    // for two accounts created at once.
    let user = UserDraft {
        email: "ADA@example.com".into(),
        display_name: "Another Ada".into(),
        role: "viewer".into(),
    }
    .validate()
    .unwrap();
    let hash = NewPassword::parse(BOB_PASSWORD, user.email(), user.display_name())
        .unwrap()
        .hash();
    let err = queries::create(
        &mut registry.db.connect(),
        &Actor::command_line(),
        &user,
        &hash,
    )
    .unwrap_err();
    assert!(
        matches!(&err, AccountError::EmailTaken(email) if email == "ADA@example.com"),
        "{err:?}"
    );
    assert_eq!(registry.users().len(), 1);
}

#[test]
fn a_short_long_or_guessable_password_is_refused_with_the_reason() {
    let registry = Registry::new();
    let long = "violet tractor mango reef ".repeat(5);
    for (input, message) in [
        (
            "eleven char\n",
            "error: Password must be at least 12 characters (it has 11)",
        ),
        (
            &format!("{}\n", &long[..129]),
            "error: Password must be at most 128 characters (it has 129); it is never shortened",
        ),
        (
            "password1234\n",
            "error: Password is too easy to guess: This is a very common password. \
             Add another word or two. Uncommon words are better.",
        ),
        (
            "Bob Marsh 1984\n",
            "error: Password is too easy to guess: It contains the account's email or name.",
        ),
        ("\n", "error: no password on standard input"),
        ("", "error: no password on standard input"),
        (
            "violet tractor\nmango reef\n",
            "error: standard input must hold the password on one line",
        ),
    ] {
        let stderr = registry.create_bob_fails("editor", input, 1);
        assert!(stderr.starts_with(message), "{input:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    // 128 characters are fine.
    let out = registry.create("bob@example.com", "Bob Marsh", "editor", &long[..128]);
    assert!(out.starts_with("created"), "{out}");
    let bob = registry.user("bob@example.com").unwrap();
    assert!(password::verify(&long[..128], &bob.password_hash));
}

#[test]
fn a_password_is_never_taken_from_an_argument() {
    let registry = Registry::new();
    // Everything but `--password-stdin`.
    let base = &create("bob@example.com", "Bob Marsh", "editor")[..8];
    for extra in [
        &["--password", BOB_PASSWORD][..],
        &[&format!("--password={BOB_PASSWORD}")],
        &["--password-stdin", BOB_PASSWORD],
        &[&format!("--password-stdin={BOB_PASSWORD}")],
        // The flag says where the password comes from: it is required.
        &[],
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let stderr = registry.fails(&args, &format!("{BOB_PASSWORD}\n"), 2);
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
    let reset = ["users", "reset-password", "--email", "bob@example.com"];
    for extra in [&["--password", BOB_PASSWORD][..], &[]] {
        let args: Vec<&str> = reset.iter().copied().chain(extra.iter().copied()).collect();
        registry.fails(&args, &format!("{BOB_PASSWORD}\n"), 2);
    }
    assert!(registry.users().is_empty());
}

#[test]
fn details_that_break_a_rule_are_refused_with_the_reason() {
    let registry = Registry::new();
    let stderr = registry.create_bob_fails("owner", &format!("{BOB_PASSWORD}\n"), 1);
    assert_eq!(
        stderr.trim(),
        r#"error: Role must be viewer, editor or admin (not "owner")"#
    );
    let stderr = registry.fails(
        &[
            "users",
            "set-role",
            "--email",
            "bob@example.com",
            "--role",
            "root",
        ],
        "",
        2,
    );
    assert!(
        stderr.contains(r#"Role must be viewer, editor or admin (not "root")"#),
        "{stderr}"
    );
    let stderr = registry.fails(
        &create("bob", "", "editor"),
        &format!("{BOB_PASSWORD}\n"),
        1,
    );
    assert_eq!(
        stderr.trim(),
        "error: Enter an email address like name@example.com; Name is required"
    );
    assert!(registry.users().is_empty());
}

#[test]
fn an_unknown_email_is_an_error() {
    let registry = Registry::new();
    for args in [
        &[
            "users",
            "set-role",
            "--email",
            "nobody@example.com",
            "--role",
            "admin",
        ][..],
        &["users", "deactivate", "--email", "nobody@example.com"],
        &[
            "users",
            "reset-password",
            "--email",
            "nobody@example.com",
            "--password-stdin",
        ],
    ] {
        let stderr = registry.fails(args, &format!("{BOB_PASSWORD}\n"), 1);
        assert_eq!(
            stderr.trim(),
            "error: no account has the email address nobody@example.com"
        );
    }
}

/// `users set-role --email EMAIL --role ROLE`.
fn set_role<'a>(email: &'a str, role: &'a str) -> [&'a str; 6] {
    ["users", "set-role", "--email", email, "--role", role]
}

/// `users deactivate --email EMAIL`.
fn deactivate(email: &str) -> [&str; 4] {
    ["users", "deactivate", "--email", email]
}

#[test]
fn the_last_active_admin_cannot_be_demoted_or_deactivated() {
    let registry = Registry::new();
    registry.create("ada@example.com", "Ada Lovelace", "admin", ADA_PASSWORD);
    let last_admin = |email: &str| {
        format!("error: {email} is the last active admin: make another account an admin first")
    };
    let refused = |args: &[&str], email: &str| {
        assert_eq!(
            registry.fails(args, "", 1).trim(),
            last_admin(email),
            "{args:?}"
        );
    };
    refused(&set_role("ada@example.com", "editor"), "ada@example.com");
    refused(&deactivate("ada@example.com"), "ada@example.com");

    // An inactive admin does not count.
    registry.create("bob@example.com", "Bob Marsh", "admin", BOB_PASSWORD);
    registry.succeeds(&deactivate("bob@example.com"), "");
    refused(&set_role("ada@example.com", "viewer"), "ada@example.com");
    refused(&deactivate("ada@example.com"), "ada@example.com");
    // Staying an admin is no change, and allowed.
    registry.succeeds(&set_role("ada@example.com", "admin"), "");
    assert_eq!(registry.user("ada@example.com").unwrap().role, Role::Admin);

    // With another active admin, either change is allowed; then that one is
    // the last.
    registry.create(
        "cy@example.com",
        "Cy Young",
        "admin",
        "orbiting mango lanterns",
    );
    registry.succeeds(&set_role("ada@example.com", "editor"), "");
    refused(&set_role("cy@example.com", "viewer"), "cy@example.com");
    registry.succeeds(&set_role("ada@example.com", "admin"), "");
    registry.succeeds(&deactivate("ada@example.com"), "");
    refused(&deactivate("cy@example.com"), "cy@example.com");
    let active_admins: Vec<String> = registry
        .users()
        .into_iter()
        .filter(|user| user.active && user.role == Role::Admin)
        .map(|user| user.email)
        .collect();
    assert_eq!(active_admins, ["cy@example.com"]);
}
