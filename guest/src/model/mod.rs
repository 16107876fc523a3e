//! Serde models of the two APIs' JSON, as much of it as woonox reads. Unknown fields are
//! ignored and loose types are accepted (see `lenient`), because both APIs vary by version.

pub mod fortnox;
pub mod woo;

use crate::error::MapError;
use serde::de::DeserializeOwned;

/// Decodes `json` as `T`, or, when it is wrapped the way Fortnox wraps single resources
/// (`{"Article": {…}}`), as the value under `wrapper`.
pub fn decode<T: DeserializeOwned>(json: &str, what: &str, wrapper: Option<&str>) -> Result<T, MapError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| MapError::from_json(&format!("{what} is not valid JSON"), e))?;
    let inner = match (wrapper, &value) {
        (Some(key), serde_json::Value::Object(map)) if map.len() == 1 && map.contains_key(key) => {
            value.get(key).cloned().unwrap_or_default()
        }
        _ => value,
    };
    serde_json::from_value(inner)
        .map_err(|e| MapError::from_json(&format!("{what} does not have the expected shape"), e))
}
