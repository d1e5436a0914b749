//! What an enrolment form's answer says: one line per kind of outcome,
//! naming the students, as flash messages, or as the page shown when the
//! database stopped part-way.

use std::collections::HashMap;

use askama::Template;

use crate::courses::queries::StudentSummary;
use crate::courses::{Course, EnrolError, Enrolment};
use crate::database::DbError;
use crate::pages::Page;

/// Why a batch stopped before its end.
pub enum Stop {
    Database(DbError),
    /// The course was deleted while the batch ran.
    CourseGone,
}

/// The outcome of one form's enrolments, student by student. Each student
/// is enrolled in a transaction of their own: those before a stop are
/// stored.
pub struct Batch {
    pub course: Course,
    names: HashMap<i32, String>,
    pub enrolled: Vec<i32>,
    pub already: Vec<i32>,
    pub full: Vec<i32>,
    /// The capacity the course was full at.
    pub capacity: Option<i32>,
    pub missing: Vec<i32>,
    pub stop: Option<Stop>,
    /// The student the stop came at, and those after: not enrolled.
    pub not_tried: Vec<i32>,
}

impl Batch {
    pub fn new(course: Course, students: Vec<StudentSummary>) -> Self {
        Self {
            course,
            names: students
                .into_iter()
                .map(|s| (s.id, format!("{} {}", s.firstname, s.lastname)))
                .collect(),
            enrolled: Vec::new(),
            already: Vec::new(),
            full: Vec::new(),
            capacity: None,
            missing: Vec::new(),
            stop: None,
            not_tried: Vec::new(),
        }
    }

    pub fn record(&mut self, student_id: i32, result: Result<Enrolment, EnrolError>) {
        match result {
            Ok(_) => self.enrolled.push(student_id),
            Err(EnrolError::AlreadyEnrolled) => self.already.push(student_id),
            Err(EnrolError::CourseFull { capacity }) => {
                self.capacity = Some(capacity);
                self.full.push(student_id);
            }
            Err(EnrolError::NoSuchStudent | EnrolError::NoSuchEnrolment) => {
                self.missing.push(student_id)
            }
            Err(EnrolError::NoSuchCourse) => {
                self.stop = Some(Stop::CourseGone);
                self.not_tried.push(student_id);
            }
            Err(EnrolError::Database(err)) => {
                self.stop = Some(Stop::Database(err));
                self.not_tried.push(student_id);
            }
        }
    }

    /// "Ann Lee, Bob Ray": every student, however many, so each one's
    /// answer can be found (the form takes at most 200).
    fn names(&self, ids: &[i32]) -> String {
        ids.iter()
            .map(|id| {
                self.names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| format!("student #{id}"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn full_reason(&self) -> String {
        let code = &self.course.code;
        match self.capacity {
            Some(1) => format!("{code} is full (1 seat)"),
            Some(capacity) => format!("{code} is full ({capacity} seats)"),
            None => format!("{code} is full"),
        }
    }

    /// One line per kind of outcome, with its flash level: `success`,
    /// `info`, `error`.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let code = &self.course.code;
        let mut lines = Vec::new();
        if !self.enrolled.is_empty() {
            let names = self.names(&self.enrolled);
            lines.push(("success", format!("Enrolled in {code}: {names}.")));
        }
        if !self.already.is_empty() {
            let names = self.names(&self.already);
            lines.push(("info", format!("Already enrolled in {code}: {names}.")));
        }
        if !self.full.is_empty() {
            let names = self.names(&self.full);
            let reason = self.full_reason();
            lines.push(("error", format!("Not enrolled, {reason}: {names}.")));
        }
        if !self.missing.is_empty() {
            let ids = self
                .missing
                .iter()
                .map(|id| format!("#{id}"))
                .collect::<Vec<_>>()
                .join(", ");
            lines.push(("error", format!("Not enrolled, no such student: {ids}.")));
        }
        lines
    }

    /// The students a stop kept from being enrolled.
    pub fn not_tried_names(&self) -> String {
        self.names(&self.not_tried)
    }
}

/// The answer when the batch stopped part-way: what was stored and what
/// was not.
#[derive(Template)]
#[template(path = "enrolments/stopped.html")]
pub struct StoppedPage {
    pub page: Page,
    pub status: u16,
    pub course_id: i32,
    pub code: String,
    pub heading: &'static str,
    pub reason: &'static str,
    /// The other outcomes, as the flash messages would have said them.
    pub lines: Vec<(&'static str, String)>,
    /// The students the stop kept out.
    pub not_enrolled: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(students: i32) -> Batch {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 5, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let course = Course {
            id: 1,
            code: "BIO-101".into(),
            title: "Marine biology".into(),
            description: None,
            credits: None,
            capacity: Some(1),
            enrolled_count: 0,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        let named = (1..=students)
            .map(|id| StudentSummary {
                id,
                firstname: "Student".into(),
                lastname: id.to_string(),
                email: format!("s{id}@example.com"),
            })
            .collect();
        Batch::new(course, named)
    }

    #[test]
    fn each_kind_of_outcome_has_one_line_naming_its_students() {
        let mut batch = batch(3);
        batch.record(1, Err(EnrolError::AlreadyEnrolled));
        batch.record(2, Err(EnrolError::CourseFull { capacity: 1 }));
        batch.record(3, Err(EnrolError::CourseFull { capacity: 1 }));
        batch.record(9, Err(EnrolError::NoSuchStudent));
        assert_eq!(
            batch.lines(),
            [
                ("info", "Already enrolled in BIO-101: Student 1.".to_owned()),
                (
                    "error",
                    "Not enrolled, BIO-101 is full (1 seat): Student 2, Student 3.".to_owned()
                ),
                ("error", "Not enrolled, no such student: #9.".to_owned()),
            ]
        );
        assert!(batch.stop.is_none());
    }

    #[test]
    fn long_lists_name_every_student() {
        let batch = batch(60);
        let ids: Vec<i32> = (1..=60).collect();
        let names = batch.names(&ids);
        assert!(names.starts_with("Student 1, Student 2, "), "{names}");
        assert!(names.ends_with(", Student 59, Student 60"), "{names}");
        assert_eq!(names.matches("Student ").count(), 60);
    }
}
