//! Email addresses: the form they are stored and compared in, and the rule
//! an address must follow. Below the resources, so students and staff
//! accounts share one rule without importing each other.

use validator::ValidateEmail;

/// An email address in the form it is stored and compared in. The part
/// before the @ is ASCII (the email rule says so) and is kept as typed; the
/// database compares it ignoring case. The domain is written the one way
/// DNS reads it (UTS #46: case folded, compatibility-normalised, Punycode
/// decoded), so `K` (Kelvin sign), fullwidth letters, decomposed accents and
/// `xn--` labels all name the same domain as its plain lower-case form.
/// Anything that is not such an address is returned as typed, for the email
/// rule to refuse (or, for an `[IP]` literal, to keep).
pub fn standard_email(email: &str) -> String {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return email.to_owned();
    };
    if domain.starts_with('[') {
        return email.to_owned();
    }
    let Ok(ascii) = idna::domain_to_ascii(domain) else {
        return email.to_owned();
    };
    match idna::domain_to_unicode(&ascii) {
        (unicode, Ok(())) => format!("{local}@{unicode}"),
        _ => format!("{local}@{ascii}"),
    }
}

/// The email rule, on the address in its standard form: an address in the
/// syntax of the HTML standard's `type=email` (which browsers check too), as
/// the `validator` crate checks it. (ASCII before the @ is a character rule,
/// checked first.)
pub fn check(standard: &str) -> Result<(), String> {
    if !standard.validate_email() {
        return Err("Enter an email address like name@example.com".to_owned());
    }
    Ok(())
}
