//! Finding the Fortnox customer for a WooCommerce buyer. A registered buyer (a WooCommerce
//! customer id) is linked once, by `customer:woo:<id>`, and that customer is used for every
//! order of theirs. Otherwise: the link table by identity, then an exact
//! organisation-number or email match (Fortnox searches by substring, so every hit is
//! compared exactly), and only then a new customer. Searching before creating also makes a
//! lost create answer harmless: the next run finds what it made.

use super::api::{self, Service, encode};
use super::report::Report;
use super::{Ctx, SyncError};
use crate::map::text::clean;
use crate::map_customer;
use crate::model::{fortnox, woo};
use serde_json::{Value, json};
use std::collections::BTreeSet;

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

/// The WooCommerce account behind `source` (an order's `customer_id`, a customer's `id`);
/// `None` for a guest.
fn woo_customer_id(source: &Value) -> Option<u64> {
    let id = if source.get("line_items").is_some() { &source["customer_id"] } else { &source["id"] };
    id.as_u64().or_else(|| id.as_str()?.trim().parse().ok()).filter(|id| *id > 0)
}

fn woo_key(id: u64) -> String {
    format!("customer:woo:{id}")
}

/// The organisation number in the buyer's meta, as typed (for Fortnox) and as digits (to match).
fn org_number(source: &Value, org_meta_key: &str) -> Option<(String, String)> {
    let meta: Vec<woo::Meta> = serde_json::from_value(source["meta_data"].clone()).unwrap_or_default();
    let typed = woo::meta_text(&meta, org_meta_key)?;
    let digits = digits(&typed);
    (!digits.is_empty()).then(|| (clean(&typed, 30), digits))
}

/// The identities a buyer is matched by, strongest first: organisation number, else
/// email. A registered buyer is one person whatever the order says, so their email is
/// tried too (an order may be the first to carry the organisation number).
fn identities(source: &Value, org_meta_key: &str, registered: bool) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    if let Some((_, org)) = org_number(source, org_meta_key) {
        found.push(("organisationnumber", org));
    }
    let email = source["billing"]["email"].as_str().filter(|e| !e.trim().is_empty()).or(source["email"].as_str());
    let email = email.unwrap_or_default().trim().to_lowercase();
    if !email.is_empty() && (found.is_empty() || registered) {
        found.push(("email", email));
    }
    found
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// `source` is a WooCommerce order or customer. The inner error is why this buyer cannot
/// be resolved (the item fails, the flow goes on).
pub fn resolve(ctx: &Ctx, source: &Value) -> Result<Result<Resolved, String>, SyncError> {
    let woo_id = woo_customer_id(source);
    let linked = match woo_id {
        Some(id) => ctx.kv.get(&woo_key(id))?,
        None => None,
    };
    let resolved = match linked {
        Some(number) => Resolved::Linked(number),
        None => match find_or_create(ctx, source, woo_id.is_some())? {
            Ok(resolved) => resolved,
            Err(why) => return Ok(Err(why)),
        },
    };
    let number = resolved.number().to_owned();
    if number.is_empty() {
        return Ok(Ok(resolved));
    }
    if let Some(id) = woo_id.filter(|_| !matches!(resolved, Resolved::Linked(_))) {
        ctx.kv.set(&woo_key(id), &number)?;
    }
    if let Err(why) = learn_org_number(ctx, source, &number)? {
        return Ok(Err(why));
    }
    Ok(Ok(resolved))
}

/// The link table by each identity, then Fortnox by each identity, then a new customer.
fn find_or_create(ctx: &Ctx, source: &Value, registered: bool) -> Result<Result<Resolved, String>, SyncError> {
    let ids = identities(source, &ctx.settings.customer.org_number_meta_key, registered);
    let Some((field, value)) = ids.first() else {
        return Ok(Err(
            "the buyer has neither an email nor an organisation number to match a Fortnox customer by".into()
        ));
    };
    for (field, value) in &ids {
        if let Some(number) = ctx.kv.get(&identity_key(field, value))? {
            return Ok(Ok(Resolved::Linked(number)));
        }
    }
    for (field, value) in &ids {
        if let Some(number) = search(ctx, field, value)? {
            ctx.kv.set(&identity_key(field, value), &number)?;
            return Ok(Ok(Resolved::Found(number)));
        }
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
    ctx.kv.set(&identity_key(field, value), &number)?;
    Ok(Ok(Resolved::Created(number)))
}

fn identity_key(field: &str, value: &str) -> String {
    format!("customer:{field}:{value}")
}

/// An organisation number the buyer's source carries, not yet known for a Fortnox
/// customer, is added to the customer resolved (which becomes a company): once, then
/// remembered, so the next run writes nothing. A customer created or found by this number
/// already has it.
fn learn_org_number(ctx: &Ctx, source: &Value, number: &str) -> Result<Result<(), String>, SyncError> {
    let Some((typed, digits)) = org_number(source, &ctx.settings.customer.org_number_meta_key) else {
        return Ok(Ok(()));
    };
    let key = identity_key("organisationnumber", &digits);
    if ctx.kv.get(&key)?.is_some() || ctx.dry_run {
        return Ok(Ok(()));
    }
    let body = json!({ "Customer": { "OrganisationNumber": typed, "Type": "COMPANY" } });
    let url = ctx.fortnox(&format!("customers/{}", encode(number)));
    match api::write(ctx.net, Service::Fortnox, "PUT", &url, Some(&body))? {
        Ok(_) => {
            ctx.kv.set(&key, number)?;
            Ok(Ok(()))
        }
        Err(why) => Ok(Err(format!("adding organisation number {typed} to Fortnox customer {number}: {why}"))),
    }
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

/// The `customers` flow: every registered WooCommerce customer (of `flows.customer-roles`)
/// with billing details exists in Fortnox.
pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let buyers = read_customers(ctx)?;
    let mut report = Report::default();
    for (i, buyer) in buyers.iter().enumerate() {
        ctx.progress.step("customers", i as u64 + 1, buyers.len() as u64);
        let item = format!("customer {}", buyer["id"]);
        if !has_billing_details(buyer) {
            report.skip(item, "no billing name, company or address in WooCommerce (staff, or a user who has not ordered yet): nothing to send to Fortnox; a first order brings them");
            continue;
        }
        match resolve(ctx, buyer)? {
            Ok(Resolved::Created(_) | Resolved::WouldCreate) => report.created += 1,
            Ok(_) => report.unchanged += 1,
            Err(why) => report.failed.push((item, why)),
        }
    }
    Ok(report)
}

/// The store's customers: the API's default role (`customer`), or each configured role,
/// each user once.
fn read_customers(ctx: &Ctx) -> Result<Vec<Value>, SyncError> {
    let roles = &ctx.settings.flows.customer_roles;
    let routes: Vec<String> = if roles.is_empty() {
        vec!["customers".into()]
    } else {
        roles.iter().map(|r| format!("customers?role={}", encode(r))).collect()
    };
    let (mut seen, mut buyers) = (BTreeSet::new(), Vec::new());
    for route in &routes {
        super::woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, route, |c| {
            if seen.insert(c["id"].to_string()) {
                buyers.push(c);
            }
        })?;
    }
    Ok(buyers)
}

/// WooCommerce keeps every billing field of a user who never bought anything (the
/// administrator, say) as an empty string.
fn has_billing_details(customer: &Value) -> bool {
    let billing = &customer["billing"];
    ["first_name", "last_name", "company", "address_1", "city", "postcode"]
        .iter()
        .any(|f| billing[*f].as_str().is_some_and(|v| !clean(v, 1024).is_empty()))
}
