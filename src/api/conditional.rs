//! Conditional requests: the `ETag` of a student, and the `If-Match` and
//! `If-None-Match` headers that refer to it.
//!
//! A student's ETag is its version in quotes, `"3"`: every change bumps the
//! version, and the JSON of one version never differs, so the tag is strong.

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderName, IF_MATCH, IF_NONE_MATCH};

/// A conditional header that is neither `*` nor a list of quoted tags: a
/// 400, not a silent mismatch.
#[derive(Debug, thiserror::Error)]
#[error("{0} must be * or a list of quoted ETags, like \"3\"")]
pub struct Malformed(HeaderName);

pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The versions `If-Match` allows an edit to replace: `None` when the header
/// is absent or `*` (the edit is unconditional), otherwise the versions its
/// strong tags name, which may be none at all (so nothing matches, as with a
/// weak tag or one this API never sent).
pub fn if_match(req: &HttpRequest) -> Result<Option<Vec<i32>>, Malformed> {
    Ok(match tags(req, &IF_MATCH)? {
        None | Some(Tags::Any) => None,
        Some(Tags::List(tags)) => Some(
            tags.iter()
                // If-Match compares strongly: a weak tag never matches.
                .filter(|tag| !tag.weak)
                .filter_map(|tag| version(tag.opaque))
                .collect(),
        ),
    })
}

/// Whether `If-None-Match` names the student's current version (`*` names any
/// existing one); weak tags count, as RFC 9110 asks for this header.
pub fn if_none_match_hits(req: &HttpRequest, current: i32) -> Result<bool, Malformed> {
    Ok(match tags(req, &IF_NONE_MATCH)? {
        None => false,
        Some(Tags::Any) => true,
        Some(Tags::List(tags)) => tags.iter().any(|tag| version(tag.opaque) == Some(current)),
    })
}

enum Tags<'a> {
    Any,
    List(Vec<EntityTag<'a>>),
}

struct EntityTag<'a> {
    weak: bool,
    opaque: &'a str,
}

/// Reads a conditional header: `*`, or a comma-separated list of quoted tags,
/// each maybe `W/`-prefixed.
fn tags<'a>(req: &'a HttpRequest, name: &HeaderName) -> Result<Option<Tags<'a>>, Malformed> {
    let mut values = req.headers().get_all(name).peekable();
    if values.peek().is_none() {
        return Ok(None);
    }
    let malformed = || Malformed(name.clone());
    let mut list = Vec::new();
    for value in values {
        let value = value.to_str().map_err(|_| malformed())?;
        if value.trim() == "*" {
            return Ok(Some(Tags::Any));
        }
        list.extend(parse_list(value).ok_or_else(malformed)?);
    }
    if list.is_empty() {
        return Err(malformed());
    }
    Ok(Some(Tags::List(list)))
}

fn parse_list(value: &str) -> Option<Vec<EntityTag<'_>>> {
    let separator = |c: char| c == ',' || c == ' ' || c == '\t';
    let mut tags = Vec::new();
    let mut rest = value.trim_start_matches(separator);
    while !rest.is_empty() {
        let (weak, tag) = match rest.strip_prefix("W/") {
            Some(tag) => (true, tag),
            None => (false, rest),
        };
        let tag = tag.strip_prefix('"')?;
        let end = tag.find('"')?;
        tags.push(EntityTag {
            weak,
            opaque: &tag[..end],
        });
        rest = &tag[end + 1..];
        if !rest.is_empty() && !rest.starts_with(separator) {
            return None;
        }
        rest = rest.trim_start_matches(separator);
    }
    Some(tags)
}

/// The version an opaque tag of ours names; `None` for anyone else's.
fn version(opaque: &str) -> Option<i32> {
    if opaque.is_empty() || !opaque.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    opaque.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: &str) -> Option<Vec<(bool, &str)>> {
        parse_list(value).map(|tags| tags.iter().map(|t| (t.weak, t.opaque)).collect())
    }

    #[test]
    fn lists_of_tags_parse() {
        assert_eq!(parsed(r#""3""#), Some(vec![(false, "3")]));
        assert_eq!(
            parsed(r#" "3", W/"4" ,"a,b""#),
            Some(vec![(false, "3"), (true, "4"), (false, "a,b")])
        );
    }

    #[test]
    fn malformed_lists_do_not_parse() {
        for value in ["3", r#""3"x"#, r#""3"#, r#"W/3"#, r#"w/"3""#] {
            assert!(parse_list(value).is_none(), "{value}");
        }
    }

    #[test]
    fn only_our_own_tags_name_versions() {
        assert_eq!(version("3"), Some(3));
        assert_eq!(version("+3"), None);
        assert_eq!(version(""), None);
        assert_eq!(version("abc"), None);
        assert_eq!(version("99999999999"), None);
        assert_eq!(etag(7), "\"7\"");
    }
}
