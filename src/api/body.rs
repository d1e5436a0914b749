//! How a JSON request body is read, for every resource: strictly, as an
//! object, with the field at fault named when it does not fit.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::error::ApiError;
use crate::http::deadline;

/// A request body: a JSON object read into `T`. It is read as a map first,
/// because serde's derived impls also read a struct from an array, by
/// position (`["Sammy"]` would set the first name, `[]` be an empty patch);
/// then into `T`, noting where it failed so the 400 can name the field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The scope's JsonConfig applies: size limit, content type, error shape.
        let object = deadline::read_within(
            req,
            web::Json::<serde_json::Map<String, Value>>::from_request(req, payload),
        );
        Box::pin(async move {
            let object = object
                .await
                .map_err(|_| ApiError::RequestTimeout)??
                .into_inner();
            serde_path_to_error::deserialize(Value::Object(object))
                .map(Self)
                .map_err(|err| ApiError::from(err).into())
        })
    }
}

/// A JSON number that is a whole number, as JSON Schema's `integer` means it:
/// `20` and `20.0` alike. Past the range of `i64` it saturates, and the age
/// rule then refuses it like any other number out of range; `20.5` or a
/// string is the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeNumber(pub i64);

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        if let Some(n) = number.as_i64() {
            return Ok(Self(n));
        }
        if number.is_u64() {
            return Ok(Self(i64::MAX));
        }
        match number.as_f64() {
            // `as` saturates at the ends of i64.
            Some(n) if n.is_finite() && n.fract() == 0.0 => Ok(Self(n as i64)),
            Some(n) => Err(serde::de::Error::invalid_value(
                serde::de::Unexpected::Float(n),
                &"a whole number",
            )),
            None => Err(serde::de::Error::custom("expected a whole number")),
        }
    }
}

/// As the form would have it: `20`.
impl fmt::Display for WholeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_integers_in_any_spelling() {
        let read = |json: &str| serde_json::from_str::<WholeNumber>(json).map(|n| n.0);
        assert_eq!(read("20").ok(), Some(20));
        assert_eq!(read("-3").ok(), Some(-3));
        assert_eq!(read("20.0").ok(), Some(20));
        assert_eq!(read("1e2").ok(), Some(100));
        assert_eq!(read("1e30").ok(), Some(i64::MAX));
        assert_eq!(read("18446744073709551615").ok(), Some(i64::MAX));
        assert_eq!(read("-1e30").ok(), Some(i64::MIN));
        for bad in ["20.5", "\"20\"", "true", "null", "[]"] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
