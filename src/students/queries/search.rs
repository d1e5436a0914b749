//! Search: the one query each backend writes its own way, each with its own
//! full-text index (SQLite's FTS5 table, PostgreSQL's GIN index).

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::sqlite::Sqlite;
use diesel::{PgConnection, SqliteConnection};

use crate::database::{FixedSql, fixed_sql_type};
use crate::schema::students;

type Filter<DB> = Box<dyn BoxableExpression<students::table, DB, SqlType = Bool>>;

/// Search is the one query each backend writes its own way: each has its own
/// full-text index.
pub trait FullTextSearch: Connection {
    /// Students with a word of their name, email or city starting with each
    /// word of `term`, ignoring case and accents.
    fn students_matching(&self, term: &str) -> students::BoxedQuery<'static, Self::Backend>;
}

impl FullTextSearch for SqliteConnection {
    fn students_matching(&self, term: &str) -> students::BoxedQuery<'static, Sqlite> {
        let filter: Filter<Sqlite> = match search_words(term) {
            Some(words) => Box::new(FixedSql::<Bool>::with_text(
                "students.id IN (SELECT rowid FROM students_search WHERE students_search MATCH ",
                fts5_query(&words),
                ")",
            )),
            None => Box::new(MatchesNothing),
        };
        students::table.into_boxed().filter(filter)
    }
}

impl FullTextSearch for PgConnection {
    fn students_matching(&self, term: &str) -> students::BoxedQuery<'static, Pg> {
        let filter: Filter<Pg> = match search_words(term) {
            // The matching ids are collected first (one GIN index scan) and
            // the page is then taken from them: left to itself, the planner
            // may walk a sort index and test every row instead. The index
            // holds every prefix of every word, so each word typed is one
            // exact entry (see the migration search_word_prefixes). The
            // words get the document's own normalisation, then
            // plainto_tsquery: a letter `unaccent` turns into punctuation
            // (ʻ into ', ½ into 1/2) splits a word as it splits the
            // document's, into words that must each match, never a phrase
            // (which the index's prefixes, having no positions, cannot
            // match); and nothing typed is read as tsquery syntax.
            Some(words) => Box::new(FixedSql::<Bool>::with_text(
                "students.id = ANY(ARRAY(SELECT s.id FROM students s \
                 WHERE students_search_prefixes(\
                 students_search_document(s.firstname, s.lastname, s.email, s.city)) \
                 @@ plainto_tsquery('simple'::regconfig, regexp_replace(students_unaccent(",
                words.join(" "),
                "), '[[:space:][:punct:]]+', ' ', 'g'))))",
            )),
            None => Box::new(MatchesNothing),
        };
        students::table.into_boxed().filter(filter)
    }
}

fixed_sql_type!(
    /// What a term without words matches: nothing. Looking for punctuation
    /// would mean reading every row. ([`super::list`] does not even ask.)
    MatchesNothing: Bool = "1 = 0"
);

/// Whether `term` has something to look up: at least one letter or digit.
/// One is enough: a one-character word is a prefix that both backends'
/// indexes answer (FTS5's prefix index, the GIN index's one-letter prefixes)
/// without reading the table, and the query budget bounds what it costs.
pub fn is_searchable(term: &str) -> bool {
    search_words(term).is_some()
}

/// The words of a search term: runs of letters and digits.
fn search_words(term: &str) -> Option<Vec<&str>> {
    let words: Vec<&str> = term
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    (!words.is_empty()).then_some(words)
}

/// `sammy shark` → `"sammy"* "shark"*`: each word quoted, so nothing the user
/// types is read as FTS5 syntax, and matched as a prefix.
fn fts5_query(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| format!("\"{word}\"*")).collect();
    quoted.join(" ")
}

#[cfg(test)]
mod tests {
    use super::{fts5_query, search_words};

    fn words(term: &str) -> Vec<&str> {
        search_words(term).expect("words")
    }

    #[test]
    fn search_terms_become_quoted_prefix_words() {
        assert_eq!(fts5_query(&words("Sammy Shark")), "\"Sammy\"* \"Shark\"*");
        assert_eq!(
            fts5_query(&words("sammy@example.com")),
            "\"sammy\"* \"example\"* \"com\"*"
        );
        assert_eq!(
            fts5_query(&words("NEAR(\"x\" OR y)")),
            "\"NEAR\"* \"x\"* \"OR\"* \"y\"*"
        );
        assert_eq!(fts5_query(&words("São")), "\"São\"*");
        assert_eq!(search_words("% _ @"), None);
    }
}
