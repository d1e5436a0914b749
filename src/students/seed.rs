//! `seed`: the tutorial's three students, then any number of generated ones.

use super::queries;
use super::validation::{StudentDetails, StudentDraft};
use crate::database::{DbConnection, DbError};

/// Rows per INSERT: 6 parameters each stays far below SQLite's 32,766 limit.
const BATCH: usize = 1_000;

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Isabel", "Jonas", "Kiri",
    "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
    "Wen", "Yara", "Zoë",
];
const LAST_NAMES: &[&str] = &[
    "Adeyemi", "Brown", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ivanova",
    "Jensen", "Kim", "López", "Müller", "Nakamura", "O'Brien", "Petrov", "Quispe", "Rossi",
    "Singh", "Tanaka", "Usman", "Varga", "Wójcik", "Xu", "Yilmaz", "Zhang",
];
const CITIES: &[&str] = &[
    "Amsterdam",
    "Berlin",
    "Cairo",
    "Dublin",
    "Lisbon",
    "Montréal",
    "Nairobi",
    "Oslo",
    "Porto",
    "Seoul",
];
const SUBJECTS: &[&str] = &[
    "Biology",
    "Chemistry",
    "History",
    "Mathematics",
    "Music",
    "Physics",
    "Literature",
    "Geology",
];

#[derive(Debug, PartialEq, Eq)]
pub struct SeedReport {
    pub inserted: usize,
    /// Rows not inserted because their email was already taken.
    pub skipped: usize,
    pub total: i64,
}

/// The three students of the Flask tutorial.
pub fn tutorial_students() -> Vec<StudentDraft> {
    let student = |first: &str, last: &str, email: &str, age: u8, bio: &str| StudentDraft {
        firstname: first.into(),
        lastname: last.into(),
        email: email.into(),
        age: age.to_string(),
        bio: bio.into(),
        city: String::new(),
    };
    vec![
        student("john", "doe", "jd@example.com", 23, "Biology student"),
        student(
            "Sammy",
            "Shark",
            "sammyshark@example.com",
            20,
            "Marine biology student",
        ),
        student(
            "Carl",
            "White",
            "carlwhite@example.com",
            22,
            "Marine geology student",
        ),
    ]
}

/// SplitMix64: a well-mixed, deterministic hash, so generated data is varied
/// yet the same on every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A deterministic, varied student; `n` makes the email unique.
pub fn generated_student(n: u64) -> StudentDraft {
    // Each field draws from its own stream, so they vary independently.
    let draw = |stream: u64| mix(n ^ stream.wrapping_mul(0x0100_0000_01B3));
    let pick =
        |list: &[&'static str], stream: u64| list[(draw(stream) % list.len() as u64) as usize];
    let firstname = pick(FIRST_NAMES, 1);
    let lastname = pick(LAST_NAMES, 2);
    StudentDraft {
        firstname: firstname.into(),
        lastname: lastname.into(),
        email: format!(
            "{}.{}.{n}@students.example.edu",
            ascii_slug(firstname),
            ascii_slug(lastname)
        ),
        age: if n.is_multiple_of(9) {
            String::new()
        } else {
            (16 + draw(4) % 15).to_string()
        },
        bio: if n.is_multiple_of(3) {
            String::new()
        } else {
            format!("{} student, year {}", pick(SUBJECTS, 3), 1 + n % 4)
        },
        city: if n.is_multiple_of(5) {
            String::new()
        } else {
            pick(CITIES, 5).to_owned()
        },
    }
}

fn ascii_slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'é' | 'ë' => Some('e'),
            'í' => Some('i'),
            'ó' => Some('o'),
            'ü' => Some('u'),
            'á' => Some('a'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Seeded students go through validation like any other: `StudentDetails`
/// come from nowhere else. Every generated student passes (a test checks);
/// one that did not would be left out, and counted as skipped.
fn validated(drafts: impl IntoIterator<Item = StudentDraft>) -> Vec<StudentDetails> {
    drafts
        .into_iter()
        .filter_map(|draft| draft.validate().ok())
        .collect()
}

/// Inserts the tutorial's students (unless present) and `count` generated
/// ones, all in one transaction: 100,000 rows take a few seconds.
pub fn seed(conn: &mut DbConnection, count: u64) -> Result<SeedReport, DbError> {
    conn.write_transaction(|conn| {
        // Numbering continues after what is there, so seeding twice adds more
        // students instead of colliding with the first run's emails.
        let start = queries::count(conn)? as u64;
        let mut inserted = queries::insert_many(conn, &validated(tutorial_students()))?;
        let mut attempted = 3;
        let mut next = start;
        while next < start + count {
            let end = (next + BATCH as u64).min(start + count);
            let batch = validated((next..end).map(generated_student));
            inserted += queries::insert_many(conn, &batch)?;
            attempted += (end - next) as usize;
            next = end;
        }
        queries::tidy_after_bulk_load(conn)?;
        Ok(SeedReport {
            inserted,
            skipped: attempted - inserted,
            total: queries::count(conn)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_students_pass_validation() {
        for (n, draft) in tutorial_students().into_iter().enumerate() {
            assert!(draft.validate().is_ok(), "tutorial student {n}: {draft:?}");
        }
        for n in 0..500 {
            let draft = generated_student(n);
            assert!(draft.validate().is_ok(), "student {n}: {draft:?}");
        }
    }

    #[test]
    fn generated_students_use_every_name_and_city() {
        let students: Vec<_> = (0..5_000).map(generated_student).collect();
        for name in LAST_NAMES {
            assert!(students.iter().any(|s| s.lastname == *name), "{name}");
        }
        for name in FIRST_NAMES {
            assert!(students.iter().any(|s| s.firstname == *name), "{name}");
        }
        for city in CITIES {
            assert!(students.iter().any(|s| s.city == *city), "{city}");
        }
    }
}
