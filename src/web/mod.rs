//! Web plumbing shared by every handler: the error type, CSRF protection, the
//! per-page context (flash messages, CSRF token) and the security headers.

pub mod csrf;
pub mod deadline;
pub mod error;
pub mod form;
pub mod headers;
pub mod hosts;
pub mod page;
pub mod session;

pub use error::AppError;
pub use page::Page;
