//! Finding the Fortnox customer for a WooCommerce buyer: the link table first, then an
//! exact organisation-number or email match (Fortnox searches by substring, so every hit
//! is compared exactly), and only then a new customer. Searching before creating also
//! makes a lost create answer harmless: the next run finds what it made.

use super::api::{self, Service, encode};
use super::{Ctx, SyncError};
use crate::map_customer;
use crate::model::{fortnox, woo};
use serde_json::Value;

/// How a buyer was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Linked(String),
    Found(String),
    Created(String),
    /// Dry run: it would be created.
    WouldCreate,
}

impl Resolved {
    pub fn number(&self) -> &str {
        match self {
            Resolved::Linked(n) | Resolved::Found(n) | Resolved::Created(n) => n,
            Resolved::WouldCreate => "",
        }
    }
}

/// The identity a buyer is matched by: organisation number, else email.
fn identity(source: &Value, org_meta_key: &str) -> Option<(&'static str, String)> {
    let meta: Vec<woo::Meta> = serde_json::from_value(source["meta_data"].clone()).unwrap_or_default();
    if let Some(org) = woo::meta_text(&meta, org_meta_key).map(|o| digits(&o)).filter(|o| !o.is_empty()) {
        return Some(("organisationnumber", org));
    }
    let email = source["billing"]["email"].as_str().or(source["email"].as_str()).unwrap_or_default();
    let email = email.trim().to_lowercase();
    (!email.is_empty()).then_some(("email", email))
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// `source` is a WooCommerce order or customer. The inner error is why this buyer cannot
/// be resolved (the item fails, the flow goes on).
pub fn resolve(ctx: &Ctx, source: &Value) -> Result<Result<Resolved, String>, SyncError> {
    let Some((field, value)) = identity(source, &ctx.settings.customer.org_number_meta_key) else {
        return Ok(Err(
            "the buyer has neither an email nor an organisation number to match a Fortnox customer by".into()
        ));
    };
    let key = format!("customer:{field}:{value}");
    if let Some(number) = ctx.kv.get(&key)? {
        return Ok(Ok(Resolved::Linked(number)));
    }
    if let Some(number) = search(ctx, field, &value)? {
        ctx.kv.set(&key, &number)?;
        return Ok(Ok(Resolved::Found(number)));
    }
    if ctx.dry_run {
        return Ok(Ok(Resolved::WouldCreate));
    }
    let body = match map_customer(&source.to_string(), ctx.settings) {
        Ok(mapped) => mapped.body,
        Err(e) => return Ok(Err(format!("customer: {e}"))),
    };
    let created = api::write(ctx.net, Service::Fortnox, "POST", &ctx.fortnox("customers"), Some(&body))?;
    let number = match created {
        Ok(answer) => answer["Customer"]["CustomerNumber"].as_str().unwrap_or_default().to_owned(),
        Err(why) => return Ok(Err(format!("customer: {why}"))),
    };
    ctx.kv.set(&key, &number)?;
    Ok(Ok(Resolved::Created(number)))
}

/// The lowest-numbered customer whose field equals `value` exactly.
fn search(ctx: &Ctx, field: &str, value: &str) -> Result<Option<String>, SyncError> {
    let url = ctx.fortnox(&format!("customers?{field}={}", encode(value)));
    let Some(list) = api::get(ctx.net, Service::Fortnox, &url)? else { return Ok(None) };
    let customers: Vec<fortnox::Customer> = serde_json::from_value(list["Customers"].clone()).unwrap_or_default();
    let exact = |c: &fortnox::Customer| match field {
        "email" => c.email.trim().eq_ignore_ascii_case(value),
        _ => digits(&c.organisation_number) == value,
    };
    Ok(customers.into_iter().filter(exact).map(|c| c.customer_number).min_by_key(|n| (n.len(), n.clone())))
}

/// The `customers` flow: every registered WooCommerce customer exists in Fortnox.
pub fn run(ctx: &Ctx) -> Result<super::report::Report, SyncError> {
    let mut buyers = Vec::new();
    super::woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, "customers?role=all", |c| buyers.push(c))?;
    let mut report = super::report::Report::default();
    for (i, buyer) in buyers.iter().enumerate() {
        ctx.progress.step("customers", i as u64 + 1, buyers.len() as u64);
        let item = format!("customer {}", buyer["id"]);
        match resolve(ctx, buyer)? {
            Ok(Resolved::Created(_) | Resolved::WouldCreate) => report.created += 1,
            Ok(_) => report.unchanged += 1,
            Err(why) => report.failed.push((item, why)),
        }
    }
    Ok(report)
}
