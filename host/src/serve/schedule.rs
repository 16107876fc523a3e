//! When `woonox serve` polls each flow. The poll is the source of truth (webhooks only make
//! things faster), so every flow has a default interval; a connection's `[schedule]`
//! overrides it ("30s", "5m", "1h", or "off").

use crate::runtime::connector_bindings::wit_sync::Flow;
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::time::Duration;

/// The documented defaults, in the order a connection's first round runs them.
pub const DEFAULTS: [(Flow, &str); 7] = [
    (Flow::Products, "1h"),
    (Flow::Stock, "5m"),
    (Flow::Customers, "1h"),
    (Flow::Orders, "10m"),
    (Flow::Refunds, "10m"),
    (Flow::Invoices, "15m"),
    (Flow::CreditNotes, "15m"),
];

pub fn flow_name(flow: Flow) -> &'static str {
    match flow {
        Flow::Products => "products",
        Flow::Stock => "stock",
        Flow::Orders => "orders",
        Flow::Customers => "customers",
        Flow::Invoices => "invoices",
        Flow::CreditNotes => "credit-notes",
        Flow::Refunds => "refunds",
    }
}

pub fn flow_by_name(name: &str) -> Option<Flow> {
    DEFAULTS.iter().map(|(f, _)| *f).find(|f| flow_name(*f) == name)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(pub Vec<(Flow, Duration)>);

impl Schedule {
    pub fn from_config(overrides: &BTreeMap<String, String>) -> Result<Schedule> {
        if let Some(unknown) = overrides.keys().find(|k| flow_by_name(k).is_none()) {
            bail!(
                "schedule: {unknown:?} is not a flow (products, stock, customers, orders, refunds, invoices, credit-notes)"
            );
        }
        let mut every = Vec::new();
        for (flow, default) in DEFAULTS {
            let text = overrides.get(flow_name(flow)).map(String::as_str).unwrap_or(default);
            if let Some(interval) = interval(text)? {
                every.push((flow, interval));
            }
        }
        Ok(Schedule(every))
    }
}

/// "30s", "5m", "1h" → the interval; "off" → none.
fn interval(text: &str) -> Result<Option<Duration>> {
    let text = text.trim();
    if text == "off" {
        return Ok(None);
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let seconds = match (number.parse::<u64>(), unit) {
        (Ok(n), "s") if n > 0 => n,
        (Ok(n), "m") if n > 0 => n * 60,
        (Ok(n), "h") if n > 0 => n * 3600,
        _ => bail!("schedule: {text:?} is not an interval such as \"30s\", \"5m\", \"1h\" or \"off\""),
    };
    Ok(Some(Duration::from_secs(seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hold_until_overridden_and_bad_values_are_named() {
        let defaults = Schedule::from_config(&BTreeMap::new()).unwrap();
        assert!(defaults.0.contains(&(Flow::Stock, Duration::from_secs(300))));
        assert!(defaults.0.contains(&(Flow::Products, Duration::from_secs(3600))));
        let custom =
            BTreeMap::from([("stock".to_owned(), "30s".to_owned()), ("products".to_owned(), "off".to_owned())]);
        let custom = Schedule::from_config(&custom).unwrap();
        assert!(custom.0.contains(&(Flow::Stock, Duration::from_secs(30))));
        assert!(!custom.0.iter().any(|(f, _)| *f == Flow::Products));
        let bad = BTreeMap::from([("stock".to_owned(), "often".to_owned())]);
        assert!(Schedule::from_config(&bad).unwrap_err().to_string().contains("\"often\""));
        let unknown = BTreeMap::from([("stocks".to_owned(), "5m".to_owned())]);
        assert!(Schedule::from_config(&unknown).unwrap_err().to_string().contains("not a flow"));
    }
}
