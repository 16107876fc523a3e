//! Reads the merchant's settings from TOML. Every field has a default (see
//! `woonox_guest::settings`), so a missing file section or key is never an error, but an
//! unknown key is: a typo must not silently fall back to a default.

use anyhow::{Context, Result};
use std::path::Path;
use woonox_guest::Settings;

pub fn load(path: Option<&Path>) -> Result<Settings> {
    let Some(path) = path else {
        return Ok(Settings::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the settings file {}", path.display()))?;
    parse(&text).with_context(|| format!("the settings file {} is not valid", path.display()))
}

pub fn parse(text: &str) -> Result<Settings> {
    let settings: Settings = toml::from_str(text)?;
    settings.validate()?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_all_defaults() {
        assert_eq!(parse("").unwrap(), Settings::default());
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let s =
            parse("store-id = \"shop1\"\n[order]\nshipping = \"freight\"\nrounding-tolerance = \"1.00\"\n").unwrap();
        assert_eq!(s.store_id, "shop1");
        assert_eq!(s.order.shipping, woonox_guest::settings::ShippingMode::Freight);
        assert_eq!(s.order.rounding_tolerance.to_string(), "1.00");
        assert_eq!(s.order.freight_vat_rate, 25);
        assert_eq!(s.customer, Settings::default().customer);
    }

    /// The documented example lists every key with its default; it must stay true.
    #[test]
    fn the_example_settings_file_is_exactly_the_defaults() {
        let text = include_str!("../../../examples/woonox.toml");
        assert_eq!(parse(text).unwrap(), Settings::default());
    }

    #[test]
    fn a_value_fortnox_would_refuse_is_an_error() {
        let err = format!("{:#}", parse("[order]\nfreight-vat-rate = 8\n").unwrap_err());
        assert!(err.contains("order.freight-vat-rate"), "{err}");
    }

    #[test]
    fn a_misspelt_key_is_an_error_that_names_it() {
        let err = format!("{:#}", parse("[order]\nshiping = \"row\"\n").unwrap_err());
        assert!(err.contains("shiping"), "{err}");
    }
}
