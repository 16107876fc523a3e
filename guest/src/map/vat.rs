//! VAT: the rate actually charged on a WooCommerce line, and the buyer's Fortnox VAT type.

use crate::error::MapError;
use crate::model::woo::{TaxEntry, TaxLine};
use crate::settings::VatType;
use rust_decimal::Decimal;

/// The rates a Fortnox company has out of the box.
pub const FORTNOX_RATES: [u8; 4] = [25, 12, 6, 0];

/// The one VAT rate charged on a line (or shipping or fee line).
///
/// The rate comes from the order's `tax_lines` by rate id; where that is missing it is
/// inferred from the tax amount. Either way it must be a Fortnox rate and agree with the
/// amounts to the öre, so a wrong rate never reaches the books silently.
pub fn line_rate(
    field: &str,
    net: Decimal,
    tax: Decimal,
    taxes: &[TaxEntry],
    tax_lines: &[TaxLine],
) -> Result<u8, MapError> {
    let charged: Vec<&TaxEntry> = taxes.iter().filter(|t| !t.total.unwrap_or_default().is_zero()).collect();
    if charged.len() > 1 {
        return Err(MapError::field(
            field,
            "more than one tax rate on one line (compound taxes) cannot be sent to Fortnox",
        ));
    }
    // A free line keeps its nominal rate; an untaxed line with a price is zero-rated.
    let nominal = if net.is_zero() { taxes.first() } else { None };
    let declared = charged
        .first()
        .copied()
        .or(nominal)
        .and_then(|t| tax_lines.iter().find(|l| l.rate_id == t.id))
        .and_then(|l| l.rate_percent);
    let rate = match declared {
        Some(rate) => rate,
        None if tax.is_zero() => Decimal::ZERO,
        None => infer_rate(net, tax).ok_or_else(|| {
            MapError::field(field, format!("tax {tax} on {net} is {}%, not a Fortnox VAT rate", percent(net, tax)))
        })?,
    };
    let fortnox = to_fortnox_rate(rate).ok_or_else(|| {
        MapError::field(field, format!("tax rate {}% is not a Fortnox VAT rate (25, 12, 6 or 0)", rate.normalize()))
    })?;
    if !agrees(net, tax, fortnox) {
        return Err(MapError::field(field, format!("tax {tax} on {net} does not match its declared rate {fortnox}%")));
    }
    Ok(fortnox)
}

/// The Fortnox rate equal to `rate`, if Fortnox has it.
pub fn to_fortnox_rate(rate: Decimal) -> Option<u8> {
    FORTNOX_RATES.into_iter().find(|r| Decimal::from(*r) == rate)
}

/// Tax computed from a price with VAT and tax computed on the net differ by a rounding
/// step or two of the store's precision: two öre in a two-decimal store, a krona in a
/// store that rounds to whole kronor.
fn agrees(net: Decimal, tax: Decimal, rate: u8) -> bool {
    let expected = net * Decimal::from(rate) / Decimal::ONE_HUNDRED;
    let step = Decimal::new(1, net.scale().max(tax.scale()).min(2));
    (expected - tax).abs() <= (step * Decimal::TWO).max(Decimal::new(2, 2)).min(Decimal::ONE)
}

fn infer_rate(net: Decimal, tax: Decimal) -> Option<Decimal> {
    FORTNOX_RATES.into_iter().find(|r| agrees(net, tax, *r)).map(Decimal::from)
}

fn percent(net: Decimal, tax: Decimal) -> Decimal {
    if net.is_zero() {
        return Decimal::ZERO;
    }
    (tax * Decimal::ONE_HUNDRED / net).round_dp(2).normalize()
}

/// EU member states (ISO 3166 alpha-2), for the VAT type of a foreign buyer.
const EU: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// SEVAT at home, EUREVERSEDVAT for an EU business with a VAT number, EUVAT for other
/// EU buyers, EXPORT outside the EU. An unknown country is treated as home.
pub fn vat_type(country: &str, vat_number: Option<&str>, home_country: &str) -> VatType {
    let country = country.trim().to_ascii_uppercase();
    let country = if country == "EL" { "GR".to_owned() } else { country };
    if country.is_empty() || country.eq_ignore_ascii_case(home_country) {
        VatType::Sevat
    } else if EU.contains(&country.as_str()) {
        match vat_number.map(str::trim) {
            Some(v) if !v.is_empty() => VatType::Eureversedvat,
            _ => VatType::Euvat,
        }
    } else {
        VatType::Export
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn entry(id: u64, total: &str) -> TaxEntry {
        TaxEntry { id, total: Some(d(total)) }
    }

    fn tax_line(rate_id: u64, rate: &str) -> TaxLine {
        TaxLine { rate_id, rate_percent: Some(d(rate)), label: String::new(), compound: false }
    }

    #[test]
    fn the_declared_rate_wins_when_amounts_agree() {
        let rate = line_rate("line 1", d("296.32"), d("17.78"), &[entry(3, "17.78")], &[tax_line(3, "6")]).unwrap();
        assert_eq!(rate, 6);
    }

    #[test]
    fn a_rate_fortnox_lacks_is_named() {
        let err = line_rate("line 2 (SKU TS-1)", d("100"), d("8"), &[entry(9, "8")], &[tax_line(9, "8")]).unwrap_err();
        assert_eq!(err.to_string(), "line 2 (SKU TS-1): tax rate 8% is not a Fortnox VAT rate (25, 12, 6 or 0)");
    }

    #[test]
    fn without_tax_lines_the_rate_is_inferred() {
        assert_eq!(line_rate("l", d("272.16"), d("68.04"), &[entry(1, "68.04")], &[]).unwrap(), 25);
        assert_eq!(line_rate("l", d("50"), d("0"), &[], &[]).unwrap(), 0);
        let err = line_rate("l", d("100"), d("8"), &[entry(1, "8")], &[]).unwrap_err();
        assert!(err.to_string().contains("8%"), "{err}");
    }

    /// WooCommerce's per-rate tax strings are unrounded ("0.9"); precision comes from the
    /// more precise of the two amounts, so a short string does not widen the check.
    #[test]
    fn an_unrounded_tax_string_does_not_loosen_the_check() {
        assert!(line_rate("l", d("12.00"), d("0.9"), &[entry(1, "0.9")], &[]).is_err());
    }

    #[test]
    fn a_declared_rate_that_contradicts_the_amounts_is_refused() {
        assert!(line_rate("l", d("100"), d("12"), &[entry(1, "12")], &[tax_line(1, "25")]).is_err());
    }

    #[test]
    fn two_charged_rates_on_one_line_are_refused() {
        let taxes = [entry(1, "10"), entry(2, "2")];
        assert!(line_rate("l", d("40"), d("12"), &taxes, &[tax_line(1, "25"), tax_line(2, "6")]).is_err());
    }

    #[test]
    fn vat_type_follows_country_and_vat_number() {
        assert_eq!(vat_type("SE", None, "SE"), VatType::Sevat);
        assert_eq!(vat_type("", None, "SE"), VatType::Sevat);
        assert_eq!(vat_type("de", Some("DE123456789"), "SE"), VatType::Eureversedvat);
        assert_eq!(vat_type("DE", Some("  "), "SE"), VatType::Euvat);
        assert_eq!(vat_type("NO", Some("NO123"), "SE"), VatType::Export);
        assert_eq!(vat_type("EL", None, "SE"), VatType::Euvat);
    }
}
