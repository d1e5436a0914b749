//! The course domain (issue 14): courses, and the enrolments that relate
//! students to them (the tutorials' many-to-many, through a table with a
//! status of its own). Both faces go through it. It reads the students table
//! for names and existence, but imports nothing from [`crate::students`].
//!
//! - [`model`]: the stored [`Course`] and [`Enrolment`], [`EnrolmentStatus`];
//! - [`validation`]: what someone typed ([`CourseDraft`]) and the only way
//!   from it to storable details ([`CourseDetails`]);
//! - [`queries`]: reads and listings (a fixed number of statements each),
//!   and the one write path (capacity enforced without a race);
//! - [`listing`]: what a course list or class list may ask for;
//! - [`enrol_queue`]: enrolments into one course gathered into groups that
//!   commit together;
//! - [`seed`]: sample courses and enrolments for `seed --courses`.

pub mod enrol_queue;
pub mod listing;
pub mod model;
pub mod queries;
pub mod seed;
pub mod validation;

pub use enrol_queue::EnrolQueue;
pub use model::{Course, Enrolment, EnrolmentStatus, OpenCourse};
pub use queries::{CourseSaveError, EnrolError, SeatRequest};
pub use validation::{CourseDetails, CourseDraft, Field, FieldErrors};
