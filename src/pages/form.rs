//! Reads urlencoded form bodies strictly. actix's own `Form` decodes invalid
//! UTF-8 lossily, which would store replacement characters instead of telling
//! the sender their data was unreadable.

use actix_web::error::PayloadError;
use serde::de::DeserializeOwned;

use super::AppError;

pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Maps a failure to read the body: too long is 413, anything else 400.
pub fn body_error(err: actix_web::Error) -> AppError {
    match err.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => AppError::PayloadTooLarge,
        _ => AppError::BadRequest(
            "The form data could not be read. Please submit the form again.".into(),
        ),
    }
}

pub fn not_a_form() -> AppError {
    AppError::BadRequest("The request was not a form submission.".into())
}

/// Decodes a form body whose every name and value must be valid UTF-8.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let decoded: Vec<u8> = percent_encoding::percent_decode(body).collect();
    if std::str::from_utf8(&decoded).is_err() {
        return Err(AppError::BadRequest(
            "The form data is not valid UTF-8 text. Please submit the form again.".into(),
        ));
    }
    // serde_html_form reads a repeated name (checkboxes) into a `Vec`, as
    // serde_urlencoded cannot.
    serde_html_form::from_bytes(body).map_err(|_| {
        AppError::BadRequest(
            "The form data could not be read. Please submit the form again.".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn valid_forms_decode() {
        let form: HashMap<String, String> =
            parse(b"name=Zo%C3%AB+O%27Brien&city=S%C3%A3o%20Paulo").unwrap();
        assert_eq!(form["name"], "Zoë O'Brien");
        assert_eq!(form["city"], "São Paulo");
    }

    #[test]
    fn repeated_names_fill_a_list() {
        #[derive(serde::Deserialize)]
        struct Picked {
            #[serde(default)]
            student_id: Vec<i32>,
        }
        let picked: Picked = parse(b"student_id=3&student_id=5").unwrap();
        assert_eq!(picked.student_id, [3, 5]);
        let none: Picked = parse(b"").unwrap();
        assert!(none.student_id.is_empty());
    }

    #[test]
    fn invalid_utf8_is_refused_whether_encoded_or_raw() {
        assert!(parse::<HashMap<String, String>>(b"name=%FF%FE").is_err());
        assert!(parse::<HashMap<String, String>>(b"name=\xff").is_err());
    }
}
