//! Conditional requests: the `ETag` of a student or a course, and the
//! `If-Match` and `If-None-Match` headers that refer to it.
//!
//! An ETag names one representation: the record's version and its live
//! count (a student's `enrolment_count`, a course's `enrolled`), `"3.2"` for
//! version 3 with a count of 2. An enrolment elsewhere changes the count but
//! not the version, so the version alone would call a changed JSON
//! unchanged. The JSON of one version and count never differs, so the tag is
//! strong.
//!
//! The two headers guard different things, so they compare differently:
//! - `If-None-Match` (a client revalidating its copy) hits only when a tag
//!   it lists is the full current tag, or it is `*`. Weak tags count, as RFC
//!   9110 asks for this header.
//! - `If-Match` (an edit that must not overwrite another) guards the editable
//!   record, whose version is the version part: a strong tag matches when
//!   its version part is the stored version, whatever its count part (an
//!   edit replaces the fields, never the count, and a count that moved is no
//!   other editor's change). A bare `"3"`, the tag this API sent before the
//!   count joined it, still names version 3. A weak tag never matches.

use std::fmt;

use actix_web::http::header::{CACHE_CONTROL, ETAG, HeaderName, IF_MATCH, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;

use super::whole_number;

/// A conditional header that is neither `*` nor a list of quoted tags: a
/// 400, not a silent mismatch.
#[derive(Debug, thiserror::Error)]
#[error("{0} must be * or a list of quoted ETags, like \"3.2\"")]
pub struct Malformed(HeaderName);

/// What a student's or a course's ETag names; shown as the header's value,
/// quoted: `"3.2"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// The record's version: what `If-Match` compares.
    pub version: i32,
    /// Its live count, which changes without the version.
    pub count: i64,
}

impl Tag {
    pub fn new(version: i32, count: i64) -> Self {
        Self { version, count }
    }

    fn opaque(self) -> String {
        format!("{}.{}", self.version, self.count)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.opaque())
    }
}

/// The versions `If-Match` allows an edit to replace: `None` when the header
/// is absent or `*` (the edit is unconditional), otherwise the version parts
/// of its strong tags, which may be none at all (so nothing matches, as with
/// a weak tag or one this API never sent).
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

/// Whether `If-None-Match` names the representation tagged `current` (`*`
/// names any existing one): only its full tag does, so a tag of an older
/// count, or a bare version, gets the record anew.
pub fn if_none_match_hits(req: &HttpRequest, current: Tag) -> Result<bool, Malformed> {
    Ok(match tags(req, &IF_NONE_MATCH)? {
        None => false,
        Some(Tags::Any) => true,
        Some(Tags::List(tags)) => {
            let current = current.opaque();
            // Weak comparison, as RFC 9110 asks for this header: `W/` aside,
            // the tags must be equal.
            tags.iter().any(|tag| tag.opaque == current)
        }
    })
}

/// The answer to reading a record tagged `tag`: 200 with `body`, or a
/// bodiless 304 when `If-None-Match` names the tag. A 304 carries the tag
/// and `cache_control` as the 200 would (RFC 9110 §15.4.5).
pub fn read(
    req: &HttpRequest,
    tag: Tag,
    cache_control: &'static str,
    body: &impl Serialize,
) -> Result<HttpResponse, Malformed> {
    if if_none_match_hits(req, tag)? {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, tag.to_string()))
            .insert_header((CACHE_CONTROL, cache_control))
            .finish());
    }
    Ok(tagged(
        HttpResponse::Ok().insert_header((CACHE_CONTROL, cache_control)),
        tag,
        body,
    ))
}

/// `body`, a record, as the answer `response` builds, with its `ETag`.
pub fn tagged(response: &mut HttpResponseBuilder, tag: Tag, body: &impl Serialize) -> HttpResponse {
    response.insert_header((ETAG, tag.to_string())).json(body)
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

/// The version part of an opaque tag of ours: `3` of `3.2`, or of the bare
/// `3` of before the count; `None` for anyone else's.
fn version(opaque: &str) -> Option<i32> {
    let (version, count) = match opaque.split_once('.') {
        Some((version, count)) => (version, Some(count)),
        None => (opaque, None),
    };
    if count.is_some_and(|count| whole_number(count, 0, i64::MAX).is_none()) {
        return None;
    }
    let version = whole_number(version, 0, i32::MAX.into())?;
    i32::try_from(version).ok()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn parsed(value: &str) -> Option<Vec<(bool, &str)>> {
        parse_list(value).map(|tags| tags.iter().map(|t| (t.weak, t.opaque)).collect())
    }

    fn request(name: HeaderName, value: Option<&str>) -> HttpRequest {
        let mut request = TestRequest::default();
        if let Some(value) = value {
            request = request.insert_header((name, value));
        }
        request.to_http_request()
    }

    fn matched(if_match_value: Option<&str>) -> Option<Vec<i32>> {
        if_match(&request(IF_MATCH, if_match_value)).expect("well formed")
    }

    fn hits(if_none_match_value: Option<&str>, current: Tag) -> bool {
        if_none_match_hits(&request(IF_NONE_MATCH, if_none_match_value), current)
            .expect("well formed")
    }

    #[test]
    fn the_tag_is_the_version_and_the_count() {
        assert_eq!(Tag::new(3, 2).to_string(), "\"3.2\"");
        assert_eq!(Tag::new(1, 0).to_string(), "\"1.0\"");
    }

    #[test]
    fn lists_of_tags_parse() {
        assert_eq!(parsed(r#""3.2""#), Some(vec![(false, "3.2")]));
        assert_eq!(
            parsed(r#" "3", W/"4.1" ,"a,b""#),
            Some(vec![(false, "3"), (true, "4.1"), (false, "a,b")])
        );
    }

    #[test]
    fn malformed_lists_do_not_parse() {
        for value in ["3", "3.2", r#""3"x"#, r#""3"#, r#"W/3"#, r#"w/"3""#] {
            assert!(parse_list(value).is_none(), "{value}");
        }
    }

    #[test]
    fn only_our_own_tags_name_versions() {
        assert_eq!(version("3.2"), Some(3));
        assert_eq!(version("3.0"), Some(3));
        assert_eq!(version("3"), Some(3), "a tag sent before the count");
        for other in [
            "",
            "+3",
            "abc",
            "99999999999",
            "3.",
            ".2",
            "3.2.1",
            "3.-1",
            "3.x",
            "x.2",
            "3.99999999999999999999",
        ] {
            assert_eq!(version(other), None, "{other}");
        }
    }

    #[test]
    fn if_match_compares_the_version_part_strongly() {
        assert_eq!(matched(None), None, "absent: unconditional");
        assert_eq!(matched(Some("*")), None, "any: unconditional");
        assert_eq!(matched(Some(r#""3.2""#)), Some(vec![3]));
        assert_eq!(
            matched(Some(r#""3.7""#)),
            Some(vec![3]),
            "whatever the count"
        );
        assert_eq!(matched(Some(r#""3""#)), Some(vec![3]), "a bare version");
        assert_eq!(matched(Some(r#""3.2", "4.0""#)), Some(vec![3, 4]));
        assert_eq!(matched(Some(r#"W/"3.2""#)), Some(vec![]), "weak: nothing");
        assert_eq!(matched(Some(r#""elsewhere""#)), Some(vec![]));
        assert!(if_match(&request(IF_MATCH, Some("3.2"))).is_err());
    }

    #[test]
    fn if_none_match_hits_only_the_full_current_tag() {
        let current = Tag::new(3, 2);
        for value in [r#""3.2""#, r#"W/"3.2""#, r#""1.0", "3.2""#, "*"] {
            assert!(hits(Some(value), current), "{value}");
        }
        for value in [r#""3.1""#, r#""3""#, r#""2.2""#, r#""03.2""#, r#""3.2.0""#] {
            assert!(!hits(Some(value), current), "{value}");
        }
        assert!(!hits(None, current));
        assert!(if_none_match_hits(&request(IF_NONE_MATCH, Some("3.2")), current).is_err());
    }
}
