//! The store's tax classes by the VAT rate they charge in the store's base country, read
//! once per run, so a product gets the class that charges what its Fortnox article says.
//! WooCommerce never learns an article's VAT otherwise: a product without a class is
//! charged the standard rate.

use super::api::{self, Service};
use super::{Ctx, SyncError, woo_client};
use crate::lenient::decimal_of;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The class slug of WooCommerce's standard rates; products spell it "".
const STANDARD: &str = "standard";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaxClasses {
    /// Where the store is, e.g. "SE" (settings' `woocommerce_default_country` before any ':').
    country: String,
    /// Class slug → the rates it charges in `country`.
    rates: BTreeMap<String, BTreeSet<Decimal>>,
}

impl TaxClasses {
    pub fn load(ctx: &Ctx) -> Result<TaxClasses, SyncError> {
        let settings = api::get(ctx.net, Service::Woo, &ctx.woo("settings/general"))?.unwrap_or_default();
        let country = base_country(&settings);
        let classes = api::get(ctx.net, Service::Woo, &ctx.woo("taxes/classes"))?.unwrap_or_default();
        let mut rates: BTreeMap<String, BTreeSet<Decimal>> = classes
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["slug"].as_str())
            .map(|slug| (slug.to_owned(), BTreeSet::new()))
            .collect();
        woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, "taxes", |rate| {
            if applies_in(&rate, &country)
                && let (Some(class), Some(value)) = (rate["class"].as_str(), decimal_of(&rate["rate"]))
            {
                rates.entry(class.to_owned()).or_default().insert(value.normalize());
            }
        })?;
        Ok(TaxClasses { country, rates })
    }

    /// Every rate some class charges in the store's country.
    pub fn rates_charged(&self) -> BTreeSet<Decimal> {
        self.rates.values().flatten().copied().collect()
    }

    /// The `tax_class` value for a product at `vat` percent ("" for the standard class), or
    /// what the merchant must change in WooCommerce.
    pub fn class_for(&self, vat: Decimal) -> Result<String, String> {
        let vat = vat.normalize();
        let mut matching: Vec<&str> =
            self.rates.iter().filter(|(_, r)| r.len() == 1 && r.contains(&vat)).map(|(c, _)| c.as_str()).collect();
        if matching.is_empty() && vat.is_zero() {
            // A class with no rate for the country charges nothing.
            matching = self.rates.iter().filter(|(_, r)| r.is_empty()).map(|(c, _)| c.as_str()).collect();
        }
        let country = if self.country.is_empty() { "the store's country" } else { &self.country };
        match matching.as_slice() {
            [class] => Ok(product_slug(class).to_owned()),
            [] => Err(format!(
                "no WooCommerce tax class charges {vat} % VAT in {country}; add a tax class with a {vat} % rate for \
                 {country} (WooCommerce → Settings → Tax), then sync again"
            )),
            several => Err(format!(
                "WooCommerce tax classes {} all charge {vat} % VAT in {country}; keep the {vat} % rate in one class \
                 only, then sync again",
                several.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

/// How a product names a class: the standard class is "".
pub fn product_slug(class: &str) -> &str {
    if class == STANDARD { "" } else { class }
}

fn base_country(settings: &Value) -> String {
    let value = settings
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["id"] == "woocommerce_default_country")
        .and_then(|s| s["value"].as_str())
        .unwrap_or_default();
    value.split(':').next().unwrap_or_default().to_uppercase()
}

/// A rate for the whole base country (or every country). Rates limited to a state, postcode
/// or city are exceptions within the country, not what a product is charged there.
fn applies_in(rate: &Value, country: &str) -> bool {
    let blank = |k: &str| rate[k].as_str().is_none_or(|v| v.is_empty());
    let rate_country = rate["country"].as_str().unwrap_or_default();
    (rate_country.is_empty() || rate_country.eq_ignore_ascii_case(country))
        && blank("state")
        && blank("postcode")
        && blank("city")
        && rate["compound"] != true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(rates: &[(&str, &[&str])]) -> TaxClasses {
        TaxClasses {
            country: "SE".into(),
            rates: rates
                .iter()
                .map(|(c, r)| (c.to_string(), r.iter().map(|v| v.parse::<Decimal>().unwrap().normalize()).collect()))
                .collect(),
        }
    }

    #[test]
    fn a_rate_picks_its_one_class_and_standard_is_spelled_empty() {
        let c = classes(&[("standard", &["25.0000"]), ("reduced-rate", &["12.0000"]), ("zero-rate", &["0.0000"])]);
        assert_eq!(c.class_for(Decimal::from(12)), Ok("reduced-rate".into()));
        assert_eq!(c.class_for(Decimal::from(25)), Ok("".into()));
        assert_eq!(c.class_for(Decimal::ZERO), Ok("zero-rate".into()));
    }

    #[test]
    fn a_missing_or_doubled_rate_is_refused_with_what_to_do() {
        let c = classes(&[("standard", &["25"]), ("reduced-rate", &["12"]), ("books", &["12"]), ("zero-rate", &[])]);
        let missing = c.class_for(Decimal::from(6)).unwrap_err();
        assert!(missing.contains("6 %") && missing.contains("add a tax class"), "{missing}");
        let doubled = c.class_for(Decimal::from(12)).unwrap_err();
        assert!(doubled.contains("\"books\"") && doubled.contains("\"reduced-rate\""), "{doubled}");
        assert_eq!(c.class_for(Decimal::ZERO), Ok("zero-rate".into()), "a class without rates charges nothing");
    }

    #[test]
    fn only_country_wide_simple_rates_count() {
        let rate = |country: &str, state: &str, compound: bool| serde_json::json!({ "country": country, "state": state, "postcode": "", "city": "", "compound": compound });
        assert!(applies_in(&rate("SE", "", false), "SE"));
        assert!(applies_in(&rate("", "", false), "SE"));
        assert!(!applies_in(&rate("DE", "", false), "SE"));
        assert!(!applies_in(&rate("SE", "AB", false), "SE"));
        assert!(!applies_in(&rate("SE", "", true), "SE"));
        let settings = serde_json::json!([{ "id": "woocommerce_default_country", "value": "SE:AB" }]);
        assert_eq!(base_country(&settings), "SE");
    }
}
