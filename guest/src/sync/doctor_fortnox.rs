//! The doctor's Fortnox checks: each scope woonox uses answers, the price list exists, so
//! does each currency the store sells in and each mode of payment a payment method maps
//! to, every account the settings name exists and is active, and a financial year holds
//! today.

use super::api::{Service, encode};
use super::doctor::{Finding, Refused, Store, read};
use super::{Ctx, fortnox_client};
use crate::lenient::decimal_of;
use crate::settings::DocumentKind;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const SIDE: &str = "fortnox";
const CONNECT: &str = "Connect again with `woonox connect fortnox` (it asks for every scope woonox uses)";

/// Article number → VAT percent, for every article Fortnox has.
pub type Articles = BTreeMap<String, Decimal>;

/// The Fortnox checks, after the store's (`store` is `None` when it could not be read).
/// The articles, or `None` when Fortnox cannot be read at all.
pub fn run(ctx: &Ctx, store: Option<&Store>, today: &str, findings: &mut Vec<Finding>) -> Option<Articles> {
    if let Err(refused) = read(ctx, Service::Fortnox, &ctx.fortnox("articles?limit=1")) {
        findings.push(scope_refused("article", "to read articles", &refused));
        return None;
    }
    let articles = match all_articles(ctx) {
        Ok(articles) => articles,
        Err(why) => {
            findings.push(Finding::failing(SIDE, "articles", why, "Run `woonox doctor` again"));
            return None;
        }
    };
    findings.push(Finding::ok(SIDE, "scope article", format!("{} articles", articles.len())));
    scopes(ctx, findings);
    price_list(ctx, findings);
    if let Some(store) = store {
        currencies(ctx, store, findings);
    }
    payment_modes(ctx, findings);
    bookkeeping(ctx, today, findings);
    Some(articles)
}

fn all_articles(ctx: &Ctx) -> Result<Articles, String> {
    let mut articles = Articles::new();
    fortnox_client::for_each(ctx.net, &ctx.endpoints.fortnox, "articles", "Articles", "articlenumber", |a| {
        if let Some(number) = a["ArticleNumber"].as_str() {
            articles.insert(number.to_owned(), decimal_of(&a["VAT"]).unwrap_or_default().normalize());
        }
    })
    .map_err(|e| e.to_string())?;
    Ok(articles)
}

/// What a refused read says about scope `scope`, which woonox needs `why`.
fn scope_refused(scope: &str, why: &str, r: &Refused) -> Finding {
    let check = format!("scope {scope}");
    match (r.status, r.code) {
        (401, _) => {
            Finding::failing(SIDE, "connection", format!("Fortnox refused woonox's access: {}", r.text), CONNECT)
        }
        (403, Some(2001101)) => Finding::failing(
            SIDE,
            check,
            format!("the company has no licence for the Fortnox module behind `{scope}`, which woonox needs {why}"),
            "Add the module to the company's Fortnox licence, then run `woonox doctor` again",
        ),
        (403, _) => Finding::failing(
            SIDE,
            check,
            format!("the connection may not use the `{scope}` scope, which woonox needs {why} ({})", r.text),
            format!("Give the integration user access to it in Fortnox, then: {CONNECT}"),
        ),
        _ => Finding::failing(SIDE, check, r.text.clone(), "Run `woonox doctor` again when Fortnox answers"),
    }
}

/// The scopes the flows use that no other check reads.
fn scopes(ctx: &Ctx, findings: &mut Vec<Finding>) {
    let mut probes = vec![("customer", "customers?limit=1", "to find and create customers")];
    if ctx.settings.order.document == DocumentKind::Order {
        probes.push(("order", "orders?limit=1", "to create orders"));
    }
    probes.push(("invoice", "invoices?limit=1", "to create invoices and follow payments and credits"));
    if !ctx.settings.flows.payment_modes.is_empty() {
        probes.push(("payment", "invoicepayments?limit=1", "to register payments (flows.payment-modes)"));
    }
    for (scope, path, why) in probes {
        findings.push(match read(ctx, Service::Fortnox, &ctx.fortnox(path)) {
            Ok(_) => Finding::ok(SIDE, format!("scope {scope}"), "answers"),
            Err(r) => scope_refused(scope, why, &r),
        });
    }
}

fn price_list(ctx: &Ctx, findings: &mut Vec<Finding>) {
    let list = &ctx.settings.product.price_list;
    let check = format!("price list {list}");
    findings.push(match read(ctx, Service::Fortnox, &ctx.fortnox(&format!("pricelists/{}", encode(list)))) {
        Ok(Some(_)) => Finding::ok(SIDE, check, "exists"),
        Ok(None) => Finding::failing(
            SIDE,
            check,
            format!("Fortnox has no price list {list:?}, which product.price-list names"),
            format!("Create price list {list:?} in Fortnox, or set product.price-list to one it has (usually \"A\")"),
        ),
        Err(r) => scope_refused("price", "to read prices", &r),
    });
}

/// The store's currency, the currencies of its recent orders and those with a fixed rate.
fn currencies(ctx: &Ctx, store: &Store, findings: &mut Vec<Finding>) {
    let mut wanted: Vec<&str> = std::iter::once(store.currency.as_str())
        .chain(store.order_currencies.iter().map(String::as_str))
        .chain(ctx.settings.order.currency_rates.iter().map(|r| r.currency.as_str()))
        .filter(|c| !c.is_empty() && *c != "SEK")
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        findings.push(Finding::ok(SIDE, "currencies", "the store sells in SEK only"));
    }
    for code in wanted {
        let check = format!("currency {code}");
        findings.push(match read(ctx, Service::Fortnox, &ctx.fortnox(&format!("currencies/{}", encode(code)))) {
            Ok(Some(_)) => Finding::ok(SIDE, check, "exists"),
            Ok(None) => Finding::failing(
                SIDE,
                check,
                format!("Fortnox has no currency {code}, which the store sells in: its orders would be refused"),
                format!("Add {code} in Fortnox (Settings → Bookkeeping → Currencies)"),
            ),
            Err(r) => scope_refused("currency", "to convert foreign currencies", &r),
        });
    }
}

fn payment_modes(ctx: &Ctx, findings: &mut Vec<Finding>) {
    for pm in &ctx.settings.flows.payment_modes {
        let check = format!("mode of payment {}", pm.mode);
        findings.push(match read(ctx, Service::Fortnox, &ctx.fortnox(&format!("modesofpayments/{}", encode(&pm.mode)))) {
            Ok(Some(_)) => Finding::ok(SIDE, check, format!("for payment method {:?}", pm.method)),
            Ok(None) => Finding::failing(
                SIDE,
                check,
                format!("payment method {:?} maps to mode of payment {:?}, which Fortnox does not have", pm.method, pm.mode),
                format!(
                    "Create {:?} in Fortnox (Settings → Bookkeeping → Modes of payment), or change flows.payment-modes",
                    pm.mode
                ),
            ),
            Err(r) => scope_refused("settings", "to check modes of payment", &r),
        });
    }
}

/// The bookkeeping checks: every account the settings name, and today's financial year.
/// Both need the `bookkeeping` scope, which connections made before woonox asked for it
/// lack: then one warning says so instead of a failure per account.
fn bookkeeping(ctx: &Ctx, today: &str, findings: &mut Vec<Finding>) {
    match read(ctx, Service::Fortnox, &ctx.fortnox(&format!("financialyears?Date={}", encode(today)))) {
        Ok(body) => findings.push(financial_year(today, body.unwrap_or_default())),
        Err(r) if r.status == 403 => return findings.push(no_bookkeeping(&r)),
        Err(r) => findings.push(scope_refused("bookkeeping", "to check the financial year", &r)),
    }
    for (number, setting) in named_accounts(ctx) {
        let check = format!("account {number}");
        findings.push(match read(ctx, Service::Fortnox, &ctx.fortnox(&format!("accounts/{number}"))) {
            Ok(Some(body)) if body["Account"]["Active"] == false => Finding::failing(
                SIDE,
                check,
                format!("account {number} ({setting}) is inactive in Fortnox: documents booked on it are refused"),
                format!("Activate account {number} in Fortnox's chart of accounts, or change {setting}"),
            ),
            Ok(Some(_)) => Finding::ok(SIDE, check, format!("active ({setting})")),
            Ok(None) => Finding::failing(
                SIDE,
                check,
                format!("Fortnox's chart of accounts has no account {number}, which {setting} names"),
                format!("Add account {number} in Fortnox, or change {setting}"),
            ),
            Err(r) => scope_refused("bookkeeping", "to check accounts", &r),
        });
    }
}

fn financial_year(today: &str, body: serde_json::Value) -> Finding {
    let year = body["FinancialYears"].as_array().and_then(|y| y.first()).cloned();
    match year {
        Some(y) => Finding::ok(
            SIDE,
            "financial year",
            format!("{} to {}", y["FromDate"].as_str().unwrap_or("?"), y["ToDate"].as_str().unwrap_or("?")),
        ),
        None => Finding::failing(
            SIDE,
            "financial year",
            format!("no financial year in Fortnox holds today ({today}): invoices dated today cannot be booked"),
            "Create the financial year in Fortnox (Settings → Bookkeeping → Financial years)",
        ),
    }
}

fn no_bookkeeping(r: &Refused) -> Finding {
    Finding::warning(
        SIDE,
        "scope bookkeeping",
        format!(
            "woonox cannot read the chart of accounts or the financial years, so their checks were left out ({})",
            r.text
        ),
        CONNECT,
    )
}

/// Each account number the settings name, with the setting's name, first mention kept.
fn named_accounts(ctx: &Ctx) -> Vec<(u32, String)> {
    let order = &ctx.settings.order;
    let mut named: Vec<(u32, String)> = vec![(order.rounding_account, "order.rounding-account".into())];
    named.extend(order.shipping_account.map(|a| (a, "order.shipping-account".into())));
    named.extend(order.fee_account.map(|a| (a, "order.fee-account".into())));
    named.extend(order.sales_accounts.iter().map(|s| (s.account, "order.sales-accounts".into())));
    named.extend(ctx.settings.flows.payment_modes.iter().map(|p| (p.account, "flows.payment-modes".into())));
    let mut seen = std::collections::BTreeSet::new();
    named.retain(|(n, _)| seen.insert(*n));
    named
}
