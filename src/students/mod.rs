//! The student domain: the record, the rules a record must follow, and the
//! queries that store it.

pub mod listing;
pub mod model;
pub mod queries;
pub mod validation;

pub use model::{Student, StudentDetails};
pub use queries::SaveError;
pub use validation::{Field, FieldErrors, StudentDraft};
