//! The enrolment forms as submitted. Their field names are shared by every
//! page that posts them (course page, student page, student index).

use serde::Deserialize;

use crate::pages::csrf::CarriesCsrfToken;

/// The most students one form may enrol.
pub const MAX_STUDENTS: usize = 200;

/// Where the answer goes: the course's page, or the student's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnTo {
    Course,
    Student,
}

impl ReturnTo {
    /// Anything but `student` goes back to the course.
    fn parse(value: &str) -> Self {
        if value.trim() == "student" {
            Self::Student
        } else {
            Self::Course
        }
    }
}

/// `POST /enrolments/`: one or more students into one course.
#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    csrf_token: String,
    /// `None` when the form's course list was left on its placeholder.
    #[serde(default)]
    pub course_id: Option<i32>,
    /// Repeated, one per student chosen.
    #[serde(default)]
    student_id: Vec<i32>,
    #[serde(default)]
    return_to: String,
}

impl EnrolForm {
    /// The students chosen, each once, in the order given.
    pub fn student_ids(&self) -> Vec<i32> {
        let mut seen = std::collections::HashSet::new();
        self.student_id
            .iter()
            .copied()
            .filter(|id| seen.insert(*id))
            .collect()
    }

    pub fn return_to(&self) -> ReturnTo {
        ReturnTo::parse(&self.return_to)
    }
}

impl CarriesCsrfToken for EnrolForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// `POST /enrolments/{id}/status/`.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    return_to: String,
}

impl StatusForm {
    pub fn return_to(&self) -> ReturnTo {
        ReturnTo::parse(&self.return_to)
    }
}

impl CarriesCsrfToken for StatusForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::form::parse;

    #[test]
    fn repeated_students_count_once_and_return_to_defaults_to_the_course() {
        let form: EnrolForm =
            parse(b"csrf_token=t&course_id=4&student_id=3&student_id=5&student_id=3").unwrap();
        assert_eq!(form.student_ids(), [3, 5]);
        assert_eq!(form.return_to(), ReturnTo::Course);
        let form: EnrolForm = parse(b"course_id=4&return_to=student").unwrap();
        assert!(form.student_ids().is_empty());
        assert_eq!(form.return_to(), ReturnTo::Student);
    }

    #[test]
    fn a_course_list_left_on_its_placeholder_names_no_course() {
        let form: EnrolForm = parse(b"course_id=&student_id=3").unwrap();
        assert_eq!(form.course_id, None);
        let form: EnrolForm = parse(b"course_id=7&student_id=3").unwrap();
        assert_eq!(form.course_id, Some(7));
    }
}
