//! The password rules and hashing.
//!
//! Rules (NIST SP 800-63B): passwords are compared in Unicode NFKC form; at
//! least [`MIN_CHARS`] characters, up to
//! [`MAX_CHARS`] allowed and never shortened, no composition rules, and not
//! easy to guess: the `zxcvbn` estimator (common passwords, words, names,
//! keyboard patterns, dates, the account's own email and name) must score it
//! at least 3 of 4 ("safely unguessable": over 10^10 guesses).
//!
//! Hashing is Argon2id with `password-auth`'s parameters (OWASP's: 19 MiB,
//! two passes). It is slow on purpose, tens of milliseconds of CPU: callers
//! run it off the async workers.

use std::sync::LazyLock;

use secrecy::{ExposeSecret, SecretString};

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// The most characters a password may have: enough for any passphrase, and
/// a bound on what a stranger can make the server hash.
pub const MAX_CHARS: usize = 128;

/// Why a new password was refused, in a sentence for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejected {
    #[error("Password must be at least {MIN_CHARS} characters (it has {0})")]
    TooShort(usize),
    #[error("Password must be at most {MAX_CHARS} characters (it has {0}); it is never shortened")]
    TooLong(usize),
    /// With what makes it guessable, and how to do better.
    #[error("Password is too easy to guess: {0}")]
    Guessable(String),
}

/// A password that follows the rules. The only thing [`NewPassword::hash`]
/// takes, so every stored hash is of such a password.
/// Its `Debug` shows no password (`SecretString`'s).
#[derive(Debug)]
pub struct NewPassword(SecretString);

impl NewPassword {
    /// Checks `typed` (exactly as typed: nothing is trimmed) against the
    /// rules. `email` and `display_name` are the account's: a password made
    /// of them is easy to guess for anyone who knows whose it is.
    pub fn parse(typed: &str, email: &str, display_name: &str) -> Result<Self, PasswordRejected> {
        let normalized = normalized(typed);
        let typed = normalized.as_ref();
        let count = typed.chars().count();
        if count < MIN_CHARS {
            return Err(PasswordRejected::TooShort(count));
        }
        if count > MAX_CHARS {
            return Err(PasswordRejected::TooLong(count));
        }
        let local_part = email.rsplit_once('@').map_or(email, |(local, _)| local);
        let mut user_inputs = vec![email, local_part, display_name];
        user_inputs.extend(display_name.split_whitespace());
        // zxcvbn reads the first 100 characters (to bound its work); a
        // password longer than that is judged by them.
        let estimate = zxcvbn::zxcvbn(typed, &user_inputs);
        if estimate.score() < zxcvbn::Score::Three {
            // zxcvbn's feedback has no words for "it contains your name".
            let lower = typed.to_lowercase();
            let personal = user_inputs
                .iter()
                .any(|input| input.chars().count() >= 3 && lower.contains(&input.to_lowercase()));
            let feedback = estimate
                .feedback()
                .map(|feedback| feedback.to_string().trim().to_owned())
                .filter(|feedback| !feedback.is_empty())
                .unwrap_or_else(|| {
                    "Add another word or two. Uncommon words are better.".to_owned()
                });
            return Err(PasswordRejected::Guessable(if personal {
                format!("It contains the account's email or name. {feedback}")
            } else {
                feedback
            }));
        }
        Ok(Self(SecretString::from(typed)))
    }

    /// The Argon2id hash to store, with a random salt. Slow.
    pub fn hash(&self) -> PasswordHash {
        PasswordHash(password_auth::generate_hash(self.0.expose_secret()))
    }
}

/// A hash of a [`NewPassword`], in the PHC string format (it names the
/// algorithm, its parameters and the salt).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Not even a hash belongs in a log.
impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// Whether `typed` is the password `hash` was made from. Slow. A hash that
/// is not in the PHC format matches nothing.
pub fn verify(typed: &str, hash: &str) -> bool {
    password_auth::verify_password(normalized(typed).as_ref(), hash).is_ok()
}

/// NFKC (NIST SP 800-63B): the same password typed on another keyboard or
/// system (composed `é` or `e` + accent, a fullwidth letter) is the same
/// password. Applied before the rules, before hashing and before verifying.
fn normalized(typed: &str) -> std::borrow::Cow<'_, str> {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(typed)
}

/// Takes as long as [`verify`] and matches nothing: for a sign-in with an
/// unknown email, so that the time taken does not tell which emails have
/// an account.
pub fn dummy_verify(typed: &str) {
    // Made with the current parameters, so it costs what a real hash does.
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| password_auth::generate_hash("no account has this password"));
    std::hint::black_box(verify(typed, &DUMMY));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_typed_composed_or_decomposed_is_the_same_password() {
        let composed = "Crème brûlée au café noir";
        let decomposed = "Cre\u{300}me bru\u{302}le\u{301}e au cafe\u{301} noir";
        assert_ne!(composed, decomposed);
        let hash = parse(decomposed).unwrap().hash();
        assert!(verify(composed, hash.as_str()));
        assert!(verify(decomposed, hash.as_str()));
        assert!(!verify("Creme brulee au cafe noir", hash.as_str()));
    }

    fn parse(typed: &str) -> Result<NewPassword, PasswordRejected> {
        NewPassword::parse(typed, "ada@example.com", "Ada Lovelace")
    }

    #[test]
    fn a_password_needs_twelve_characters_counted_as_characters() {
        assert_eq!(
            parse("fjq8Lw2pzR!").err(),
            Some(PasswordRejected::TooShort(11))
        );
        // 11 characters, 22 bytes.
        assert_eq!(
            parse("ŵŷğĸłžćñþđħ").err(),
            Some(PasswordRejected::TooShort(11))
        );
        assert!(parse("").is_err());
        assert_eq!(
            parse("short").unwrap_err().to_string(),
            "Password must be at least 12 characters (it has 5)"
        );
        assert!(parse("fjq8Lw2pzR!x").is_ok());
    }

    #[test]
    fn up_to_128_characters_are_allowed_and_more_are_refused_not_shortened() {
        let long: String = "violet tractor mango reef ".repeat(5);
        let at_limit = &long[..128];
        assert!(parse(at_limit).is_ok());
        let over = format!("{at_limit}z");
        let err = parse(&over).expect_err("refused");
        assert_eq!(err, PasswordRejected::TooLong(129));
        assert_eq!(
            err.to_string(),
            "Password must be at most 128 characters (it has 129); it is never shortened"
        );
    }

    #[test]
    fn there_are_no_composition_rules() {
        // Lower-case words only, no digits or symbols: long and uncommon.
        assert!(parse("violet tractor mango reef").is_ok());
        assert!(parse("quietly orbiting lanterns").is_ok());
    }

    #[test]
    fn common_and_guessable_passwords_are_refused_with_the_reason() {
        for (typed, reason) in [
            ("password1234", "common password"),
            ("123456789012", "Sequences like abc"),
            ("aaaaaaaaaaaa", "Repeats like \"aaa\""),
            ("qwertyuiopas", "similar to a commonly used password"),
            ("iloveyou2024", "similar to a commonly used password"),
            ("abcdefghijklmnop", "abc"),
        ] {
            let err = parse(typed).expect_err(typed);
            let message = err.to_string();
            assert!(
                message.starts_with("Password is too easy to guess: ") && message.contains(reason),
                "{typed}: {message}"
            );
        }
    }

    #[test]
    fn the_accounts_own_email_and_name_make_a_password_guessable() {
        let typed = "Ada Lovelace 1815";
        assert!(NewPassword::parse(typed, "bob@school.test", "Bob Marsh").is_ok());
        assert_eq!(
            parse(typed).err().map(|err| err.to_string()),
            Some(
                "Password is too easy to guess: It contains the account's email or name. \
                 Add another word or two. Uncommon words are better. \
                 Capitalization doesn't help very much."
                    .to_owned()
            )
        );
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let password = parse("violet tractor mango reef").unwrap();
        let hash = password.hash();
        assert!(hash.as_str().starts_with("$argon2id$"), "{hash:?}");
        assert!(verify("violet tractor mango reef", hash.as_str()));
        assert!(!verify("violet tractor mango reef ", hash.as_str()));
        assert!(!verify("Violet tractor mango reef", hash.as_str()));
        assert!(!verify("violet tractor mango reef", "not a hash"));
        // Salted: the same password hashes differently each time.
        assert_ne!(password.hash(), hash);
        assert_eq!(format!("{hash:?}"), "PasswordHash(…)");
        dummy_verify("violet tractor mango reef");
    }
}
