//! Shipping and fee lines whose tax WooCommerce spread over several rates: shipping that
//! follows the cart, and a negative (discount) fee, whose tax WooCommerce spreads over the
//! rates of the order's positive items in proportion to their net amounts.

use super::rows::round2;
use super::vat::{line_rate, to_fortnox_rate};
use crate::error::MapError;
use crate::model::woo::{TaxEntry, TaxLine};
use rust_decimal::Decimal;

/// One part of a line at one rate: (net, tax, Fortnox VAT rate).
pub type RatePart = (Decimal, Decimal, u8);

/// Splits a line into one part per rate charged. Each charged rate carries the net that
/// bears its tax (tax ÷ rate); the rest of the net goes to 0 % when a zero rate is among
/// the line's taxes (WooCommerce lists it when part of the order is zero-rated), else to
/// the last charged rate. Rates charged on the same net (compound taxes) are refused:
/// Fortnox has one rate per row.
pub fn rate_parts(
    field: &str,
    net: Decimal,
    tax: Decimal,
    taxes: &[TaxEntry],
    tax_lines: &[TaxLine],
) -> Result<Vec<RatePart>, MapError> {
    let charged: Vec<&TaxEntry> = taxes.iter().filter(|t| !t.total.unwrap_or_default().is_zero()).collect();
    let zero_rated = taxes.iter().any(|t| rate_of(t, tax_lines).is_some_and(|(rate, _)| rate.is_zero()));
    // One entry, or nothing charged: one rate. Several entries are a spread, even when a
    // small share rounded to nothing.
    if taxes.len() <= 1 || charged.is_empty() {
        return Ok(vec![(net, tax, line_rate(field, net, tax, taxes, tax_lines)?)]);
    }
    let mut shares = Vec::new();
    for entry in &charged {
        let (rate, compound) = rate_of(entry, tax_lines).filter(|(rate, _)| !rate.is_zero()).ok_or_else(|| {
            MapError::field(field, format!("tax rate id {} is not in the order's tax lines", entry.id))
        })?;
        if compound {
            return Err(compound_refusal(field));
        }
        let vat = to_fortnox_rate(rate).ok_or_else(|| {
            MapError::field(field, format!("tax rate {}% is not a Fortnox VAT rate (25, 12, 6 or 0)", rate.normalize()))
        })?;
        let share_tax = round2(entry.total.unwrap_or_default());
        shares.push((round2(share_tax * Decimal::ONE_HUNDRED / rate), share_tax, vat));
    }
    let implied: Decimal = shares.iter().map(|(n, _, _)| n.abs()).sum::<Decimal>();
    if implied > net.abs() + rounding_slack(&charged, tax_lines) {
        return Err(compound_refusal(field));
    }
    let rest = net - shares.iter().map(|(n, _, _)| *n).sum::<Decimal>();
    if !zero_rated && let Some(last) = shares.last_mut() {
        last.0 += rest;
    }
    // Each share's net comes from its own tax, so it agrees with its rate; the rest (and
    // the rounding of a whole-krona store) is checked by the order's totals check.
    let mut parts = shares;
    if zero_rated && !rest.is_zero() {
        parts.push((rest, Decimal::ZERO, 0));
    }
    Ok(parts)
}

/// How far the nets implied by rounded tax shares may exceed the line's net: half a
/// rounding step of each share (an öre, or a krona in a store without decimals), divided
/// by its rate, plus an öre.
fn rounding_slack(charged: &[&TaxEntry], tax_lines: &[TaxLine]) -> Decimal {
    let half_step = |e: &TaxEntry| Decimal::new(5, e.total.unwrap_or_default().scale().min(2) + 1);
    let per_share = charged.iter().filter_map(|e| {
        let (rate, _) = rate_of(e, tax_lines)?;
        (!rate.is_zero()).then(|| half_step(e) * Decimal::ONE_HUNDRED / rate)
    });
    per_share.sum::<Decimal>() + Decimal::new(1, 2)
}

/// The rate of a tax entry and whether it is compound, from the order's tax lines.
fn rate_of(entry: &TaxEntry, tax_lines: &[TaxLine]) -> Option<(Decimal, bool)> {
    let line = tax_lines.iter().find(|l| l.rate_id == entry.id)?;
    Some((line.rate_percent?, line.compound))
}

fn compound_refusal(field: &str) -> MapError {
    MapError::field(
        field,
        "several tax rates charged on the same amount (compound taxes) cannot be sent to Fortnox, which has one \
         VAT rate per row",
    )
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

    fn lines() -> Vec<TaxLine> {
        [(1, "25", false), (2, "12", false), (3, "6", false), (4, "0", false), (7, "2", true)]
            .into_iter()
            .map(|(rate_id, rate, compound)| TaxLine {
                rate_id,
                rate_percent: Some(d(rate)),
                label: String::new(),
                compound,
            })
            .collect()
    }

    /// The negative fee of recorded exchange 78: -50.00 with -5.06 at 25 %, -1.25 at 6 %
    /// and 0.00 at 0 %.
    #[test]
    fn a_discount_fee_spread_over_three_rates_becomes_three_parts_that_add_up() {
        let taxes = [entry(1, "-5.06"), entry(3, "-1.25"), entry(4, "0.00")];
        let parts = rate_parts("fee", d("-50.00"), d("-6.31"), &taxes, &lines()).unwrap();
        assert_eq!(parts, vec![(d("-20.24"), d("-5.06"), 25), (d("-20.83"), d("-1.25"), 6), (d("-8.93"), d("0"), 0)]);
        let net: Decimal = parts.iter().map(|p| p.0).sum();
        let tax: Decimal = parts.iter().map(|p| p.1).sum();
        assert_eq!((net, tax), (d("-50.00"), d("-6.31")));
    }

    #[test]
    fn without_a_zero_rate_the_last_charged_rate_takes_the_rest() {
        let taxes = [entry(1, "-5.06"), entry(3, "-1.25")];
        let parts = rate_parts("fee", d("-41.07"), d("-6.31"), &taxes, &lines()).unwrap();
        assert_eq!(parts, vec![(d("-20.24"), d("-5.06"), 25), (d("-20.83"), d("-1.25"), 6)]);
    }

    #[test]
    fn one_charged_rate_is_one_part() {
        let parts = rate_parts("fee", d("29.00"), d("7.25"), &[entry(1, "7.25")], &lines()).unwrap();
        assert_eq!(parts, vec![(d("29.00"), d("7.25"), 25)]);
    }

    /// A store without decimals rounds each share to a krona, so the nets implied by the
    /// shares are coarse; that is not a compound tax.
    #[test]
    fn whole_krona_shares_are_not_mistaken_for_compound_taxes() {
        let taxes = [entry(1, "-1"), entry(2, "-1")];
        let parts = rate_parts("fee", d("-9"), d("-2"), &taxes, &lines()).unwrap();
        assert_eq!(parts.iter().map(|p| p.0).sum::<Decimal>(), d("-9"));
    }

    #[test]
    fn rates_charged_on_the_same_net_are_refused_as_compound() {
        let both_on_100 = [entry(1, "25.00"), entry(3, "6.00")];
        let err = rate_parts("fee", d("100"), d("31"), &both_on_100, &lines()).unwrap_err();
        assert!(err.to_string().contains("compound"), "{err}");
        let flagged = [entry(1, "20.00"), entry(7, "0.40")];
        let err = rate_parts("fee", d("100"), d("20.40"), &flagged, &lines()).unwrap_err();
        assert!(err.to_string().contains("compound"), "{err}");
    }
}
