//! Exchange rates for orders in a foreign currency: the merchant's fixed rate, else
//! Fortnox's (`SellRate` per `Unit`). A rate fetched from Fortnox serves the rest of the run,
//! and is kept in the state with the day of the order it was fetched for, so later runs (each
//! webhook delivery is one) reuse it for orders of that day or before instead of asking again.
//! Fortnox moves its rates once a day (ASSUMPTIONS.md); an order of a later day fetches anew.

use super::api::{self, Service, encode};
use super::state;
use super::{Ctx, SyncError};
use crate::lenient::decimal_of;
use crate::settings::{CurrencyRate, Settings};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Rates per currency for this run.
#[derive(Default)]
pub struct Rates(BTreeMap<String, Result<Decimal, String>>);

impl Rates {
    /// The settings to map `order` with, the rate of its currency filled in.
    pub fn settings_for(&mut self, ctx: &Ctx, order: &Value) -> Result<Result<Settings, String>, SyncError> {
        let code = order["currency"].as_str().unwrap_or_default().trim().to_ascii_uppercase();
        let mut settings = ctx.settings.clone();
        if code.is_empty() || code == "SEK" || settings.order.currency_rate(&code).is_some() {
            return Ok(Ok(settings));
        }
        if !self.0.contains_key(&code) {
            let found = kept_or_fetched(ctx, &code, order_day(order))?;
            self.0.insert(code.clone(), found);
        }
        Ok(self.0[&code].clone().map(|rate| {
            settings.order.currency_rates.push(CurrencyRate { currency: code, rate });
            settings
        }))
    }
}

/// A rate as the state keeps it: the rate, and the day of the order it was fetched for.
#[derive(Serialize, Deserialize)]
struct Kept {
    rate: String,
    day: String,
}

/// The day an order was made (`2026-12-03`), in UTC where WooCommerce gives it.
fn order_day(order: &Value) -> Option<String> {
    let made = order["date_created_gmt"].as_str().or(order["date_created"].as_str())?;
    made.get(..10).map(str::to_owned)
}

/// The kept rate when it was fetched for this order's day or a later one; else Fortnox's,
/// kept for this order's day. An order with no date always asks Fortnox.
fn kept_or_fetched(ctx: &Ctx, code: &str, day: Option<String>) -> Result<Result<Decimal, String>, SyncError> {
    let key = format!("rate:{code}");
    if let Some(day) = &day
        && let Some(kept) = state::load::<Kept>(ctx.kv, &key)?
        && kept.day >= *day
        && let Ok(rate) = kept.rate.parse::<Decimal>()
    {
        return Ok(Ok(rate));
    }
    let fetched = fortnox_rate(ctx, code)?;
    if let (Ok(rate), Some(day)) = (&fetched, day)
        && !ctx.dry_run
    {
        state::save(ctx.kv, &key, &Kept { rate: rate.to_string(), day })?;
    }
    Ok(fetched)
}

fn fortnox_rate(ctx: &Ctx, code: &str) -> Result<Result<Decimal, String>, SyncError> {
    let missing = || {
        format!(
            "currency {code} is not set up in Fortnox: add it (Settings → Currencies) or give a fixed rate in \
             order.currency-rates"
        )
    };
    let Some(answer) = api::get(ctx.net, Service::Fortnox, &ctx.fortnox(&format!("currencies/{}", encode(code))))?
    else {
        return Ok(Err(missing()));
    };
    let currency = &answer["Currency"];
    let rate = decimal_of(&currency["SellRate"]).filter(|r| *r > Decimal::ZERO);
    let unit = decimal_of(&currency["Unit"]).filter(|u| *u > Decimal::ZERO).unwrap_or(Decimal::ONE);
    Ok(rate.map(|r| (r / unit).round_dp(6)).ok_or_else(missing))
}
