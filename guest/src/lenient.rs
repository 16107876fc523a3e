//! Serde helpers for the two APIs' loose typing: Fortnox sends numbers as strings and
//! booleans as strings, WooCommerce sends money as strings except line-item `price`.
//! Every amount becomes a `Decimal`; a float is read through its shortest decimal form,
//! so `136.08` stays `136.08` and never becomes `136.0799999…`.

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::str::FromStr;

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a decimal string")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if !v.is_finite() {
            return Err(E::custom("number is not finite"));
        }
        parse_decimal(&v.to_string()).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        parse_decimal(v).map_err(E::custom)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(DecimalVisitor)
    }
}

/// An empty string means "not set" in both APIs (e.g. Woo `sale_price: ""`).
fn parse_decimal(s: &str) -> Result<Option<Decimal>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    Decimal::from_str(s)
        .or_else(|_| Decimal::from_scientific(s))
        .map(Some)
        .map_err(|_| format!("{s:?} is not a decimal number"))
}

/// A decimal from a number, a numeric string, `""` or `null` (the last two: `None`).
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

/// A decimal from an already-parsed JSON value, as leniently as [`decimal`].
pub fn decimal_of(v: &serde_json::Value) -> Option<Decimal> {
    v.deserialize_any(DecimalVisitor).ok().flatten()
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean, 0/1 or \"true\"/\"false\"")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            "" => Ok(None),
            other => Err(E::custom(format!("{other:?} is not a boolean"))),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

/// A boolean from `true`, `"true"`, `1`, `"1"`; `null` and `""` give `None`.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(BoolVisitor)
}

/// Like [`boolean`], but absent or empty means `false`.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(boolean(d)?.unwrap_or(false))
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

/// Text from a string or a number (Fortnox sends `DocumentNumber` either way); `null` is empty.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(d.deserialize_any(TextVisitor)?.unwrap_or_default())
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative whole number (or one as a string)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("{v} is negative")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        match v.trim() {
            "" => Ok(0),
            t => t.parse().map_err(|_| E::custom(format!("{v:?} is not an id"))),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_none<E: de::Error>(self) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(IdVisitor)
    }
}

/// A numeric id from a number or a numeric string; `null` and `""` are 0 (Woo's "none").
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(IdVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "decimal")]
        amount: Option<Decimal>,
        #[serde(default, deserialize_with = "flag")]
        on: bool,
        #[serde(default, deserialize_with = "text")]
        number: String,
        #[serde(default, deserialize_with = "id")]
        id: u64,
    }

    fn probe(json: &str) -> Result<Probe, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn a_float_keeps_its_shortest_decimal_form() {
        let p = probe(r#"{"amount": 136.08}"#).unwrap();
        assert_eq!(p.amount, Some(Decimal::new(13608, 2)));
        let p = probe(r#"{"amount": 296.320755}"#).unwrap();
        assert_eq!(p.amount.unwrap().to_string(), "296.320755");
    }

    #[test]
    fn strings_numbers_and_blanks_decode() {
        let p = probe(r#"{"amount": " 21.99 ", "on": "true", "number": 1042, "id": "17"}"#).unwrap();
        assert_eq!(p.amount.unwrap().to_string(), "21.99");
        assert!(p.on);
        assert_eq!(p.number, "1042");
        assert_eq!(p.id, 17);
        let p = probe(r#"{"amount": "", "on": null, "number": null, "id": null}"#).unwrap();
        assert_eq!(p.amount, None);
        assert!(!p.on);
        assert_eq!(p.number, "");
        assert_eq!(p.id, 0);
    }

    #[test]
    fn nonsense_is_an_error_not_a_panic() {
        assert!(probe(r#"{"amount": "12,50"}"#).is_err());
        assert!(probe(r#"{"amount": 1e300}"#).is_err());
        assert!(probe(r#"{"on": "maybe"}"#).is_err());
        assert!(probe(r#"{"id": -3}"#).is_err());
        assert!(probe(r#"{"amount": [1]}"#).is_err());
    }
}
