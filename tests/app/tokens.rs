//! API tokens: the rules of `accounts::tokens` on a real database, and
//! `student-registry tokens …` run as an operator runs it (on either
//! backend: tests/postgres includes this file too). What the API does with
//! a token: tests/app/api/auth.rs.

use std::process::Output;

use secrecy::ExposeSecret;
use student_registry::accounts::tokens::{self, Scope, TokenError};
use student_registry::accounts::{Role, queries};
use student_registry::audit::{self, Actor, Subject};

use crate::cli::registry_with_input;
use crate::helpers::{
    STAFF_EMAIL, TestDatabase, client_with_token, create_account, create_token, spawn_app,
};

/// A migrated database with one editor, ada@example.com.
fn database_with_ada() -> (TestDatabase, i32) {
    let db = TestDatabase::new();
    let migrated = registry_with_input(db.url(), &["migrate"], "");
    assert!(migrated.status.success(), "{migrated:?}");
    let ada = create_account(&mut db.connect(), "ada@example.com", Role::Editor);
    (db, ada.id)
}

#[test]
fn a_token_is_named_uniquely_per_account_ignoring_case_and_can_be_revoked() {
    let (db, ada) = database_with_ada();
    let conn = &mut db.connect();
    let (made, secret) = tokens::create(
        conn,
        &Actor::command_line(),
        ada,
        "  Deploy bot ",
        Scope::Write,
        None,
    )
    .unwrap();
    assert_eq!(
        (made.name.as_str(), made.scope, made.expires_at),
        ("Deploy bot", Scope::Write, None)
    );
    let debug = format!("{made:?}");
    assert!(!debug.contains(&secret.expose_secret()[3..]), "{debug}");

    match tokens::create(
        conn,
        &Actor::command_line(),
        ada,
        "DEPLOY BOT",
        Scope::Read,
        None,
    ) {
        Err(TokenError::NameTaken(name)) => assert_eq!(name, "DEPLOY BOT"),
        other => panic!("{other:?}"),
    }
    match tokens::create(conn, &Actor::command_line(), ada, " ", Scope::Read, None) {
        Err(err @ TokenError::InvalidName(_)) => {
            assert_eq!(err.to_string(), "Token name is required");
        }
        other => panic!("{other:?}"),
    }
    for days in [0, 3651] {
        assert!(matches!(
            tokens::create(
                conn,
                &Actor::command_line(),
                ada,
                "later",
                Scope::Read,
                Some(days)
            ),
            Err(TokenError::InvalidExpiry(_))
        ));
    }
    // Another account may use the same name.
    let bob = create_account(conn, "bob@example.com", Role::Viewer);
    let (bobs, _) = tokens::create(
        conn,
        &Actor::command_line(),
        bob.id,
        "deploy bot",
        Scope::Read,
        None,
    )
    .unwrap();
    let (expiring, _) = tokens::create(
        conn,
        &Actor::command_line(),
        ada,
        "nightly",
        Scope::Read,
        Some(30),
    )
    .unwrap();
    let expires = expiring.expires_at.expect("an expiry");
    assert_eq!((expires - expiring.created_at).num_days(), 30);

    let names = |conn: &mut _, user| -> Vec<String> {
        tokens::list_for_user(conn, user)
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect()
    };
    assert_eq!(names(conn, ada), ["Deploy bot", "nightly"]);

    let caller = tokens::authenticate(conn, secret.expose_secret())
        .unwrap()
        .expect("a valid token");
    assert_eq!((caller.user.id, caller.token.id), (ada, made.id));
    assert!(caller.may_write());

    // Someone else's token is not theirs to revoke.
    assert_eq!(
        tokens::revoke(conn, &Actor::command_line(), ada, bobs.id).unwrap(),
        None
    );
    let revoked = tokens::revoke(conn, &Actor::command_line(), ada, made.id)
        .unwrap()
        .expect("ada's");
    let at = revoked.revoked_at.expect("revoked");
    // Revoked again, it keeps its time.
    let again = tokens::revoke(conn, &Actor::command_line(), ada, made.id)
        .unwrap()
        .expect("ada's");
    assert_eq!(again.revoked_at, Some(at));
    assert_eq!(
        tokens::authenticate(conn, secret.expose_secret()).unwrap(),
        None
    );
    assert_eq!(names(conn, ada), ["Deploy bot", "nightly"], "still listed");
}

fn tokens_create<'a>(email: &'a str, name: &'a str, scope: &'a str) -> Vec<&'a str> {
    vec![
        "tokens", "create", "--email", email, "--name", name, "--scope", scope,
    ]
}

fn succeeds(db: &TestDatabase, args: &[&str]) -> (String, String) {
    let output: Output = registry_with_input(db.url(), args, "");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{args:?}: {stderr}");
    (stdout, stderr)
}

fn fails(db: &TestDatabase, args: &[&str]) -> String {
    let output = registry_with_input(db.url(), args, "");
    assert_eq!(output.status.code(), Some(1), "{args:?}");
    assert!(output.stdout.is_empty(), "{args:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn tokens_create_prints_the_token_alone_and_list_and_revoke_name_it() {
    let (db, ada) = database_with_ada();
    let mut args = tokens_create("ADA@example.com", "ci", "read");
    args.extend(["--expires-in-days", "7"]);
    let (stdout, stderr) = succeeds(&db, &args);
    let token = stdout.strip_suffix('\n').expect("one line");
    assert!(token.starts_with("sr_") && token.len() == 46, "{stdout:?}");
    assert!(
        stderr.contains(r#"created read token "ci" for ada@example.com, expiring "#),
        "{stderr}"
    );
    let caller = tokens::authenticate(&mut db.connect(), token)
        .unwrap()
        .expect("it works");
    assert_eq!((caller.user.id, caller.token.scope), (ada, Scope::Read));

    let (list, _) = succeeds(&db, &["tokens", "list", "--email", "ada@example.com"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(lines[0].starts_with("NAME  SCOPE  CREATED"), "{list}");
    assert!(lines[1].starts_with("ci    read   "), "{list}");
    assert!(!list.contains(&token[3..]), "{list}");

    assert!(
        fails(&db, &tokens_create("ada@example.com", "CI", "write"))
            .contains(r#"the account already has a token named "CI""#)
    );
    assert!(
        fails(&db, &tokens_create("nobody@example.com", "ci", "write"))
            .contains("no account has the email address nobody@example.com")
    );
    let stderr = registry_with_input(
        db.url(),
        &tokens_create("ada@example.com", "x", "admin"),
        "",
    );
    assert!(!stderr.status.success());
    assert!(
        String::from_utf8_lossy(&stderr.stderr).contains("Scope must be read or write"),
        "{stderr:?}"
    );

    let revoke = [
        "tokens",
        "revoke",
        "--email",
        "ada@example.com",
        "--name",
        "CI",
    ];
    assert_eq!(
        succeeds(&db, &revoke).0,
        "revoked token \"ci\" of ada@example.com\n"
    );
    assert_eq!(
        succeeds(&db, &revoke).0,
        "token \"ci\" of ada@example.com was already revoked\n"
    );
    assert_eq!(
        tokens::authenticate(&mut db.connect(), token).unwrap(),
        None
    );
    assert!(
        fails(
            &db,
            &[
                "tokens",
                "revoke",
                "--email",
                "ada@example.com",
                "--name",
                "nope"
            ]
        )
        .contains(r#"ada@example.com has no token named "nope""#)
    );
}

#[tokio::test]
async fn a_token_made_on_the_command_line_works_against_the_running_app() {
    let app = spawn_app().await;
    let (stdout, _) = succeeds(
        &app.database,
        &tokens_create(STAFF_EMAIL, "script", "write"),
    );
    let client = client_with_token(stdout.trim_end());
    let response = client
        .post(app.url("/api/students"))
        .json(&serde_json::json!({
            "firstname": "Sammy", "lastname": "Shark", "email": "sammy@example.com"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let staff = queries::find_by_email(&mut app.db(), STAFF_EMAIL)
        .unwrap()
        .unwrap();
    let script = tokens::find_by_name(&mut app.db(), staff.id, "script")
        .unwrap()
        .unwrap();
    assert!(script.last_used_at.is_some());
    let made = audit::for_subject(&mut app.db(), Subject::Token(script.id), 10).unwrap();
    assert_eq!(
        made.iter()
            .map(|event| (event.action.as_str(), event.actor_label.as_str()))
            .collect::<Vec<_>>(),
        [("token.create", "command line")]
    );
}

/// Whoever held an account may have made tokens: a password set by an admin
/// revokes them, and so does a deactivation (activating the account again
/// does not bring them back).
#[tokio::test]
async fn a_password_reset_or_a_deactivation_revokes_the_accounts_tokens() {
    use student_registry::accounts::NewPassword;
    let app = spawn_app().await;
    let mut conn = app.db();
    let editor = create_account(&mut conn, "editor@example.com", Role::Editor);
    let status = |token: String| {
        let url = app.url("/api/students");
        async move {
            client_with_token(&token)
                .get(url)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let before_reset = create_token(&mut conn, &editor, Scope::Read);
    assert_eq!(status(before_reset.clone()).await, reqwest::StatusCode::OK);
    let hash = NewPassword::parse("quietly orbiting lanterns", "editor@example.com", "Editor")
        .unwrap()
        .hash();
    queries::reset_password(
        &mut conn,
        &Actor::command_line(),
        "editor@example.com",
        &hash,
    )
    .unwrap();
    assert_eq!(
        status(before_reset).await,
        reqwest::StatusCode::UNAUTHORIZED
    );

    let before_deactivation = create_token(&mut conn, &editor, Scope::Write);
    assert_eq!(
        status(before_deactivation.clone()).await,
        reqwest::StatusCode::OK
    );
    queries::deactivate(&mut conn, &Actor::command_line(), "editor@example.com").unwrap();
    queries::activate(&mut conn, &Actor::command_line(), "editor@example.com").unwrap();
    assert_eq!(
        status(before_deactivation).await,
        reqwest::StatusCode::UNAUTHORIZED
    );
}
