//! The products flow, Fortnox → WooCommerce: articles changed since the last run (a
//! `lastmodified` cursor with an overlap window) and articles whose price-list price
//! changed are matched to WooCommerce products and variations by SKU; missing products
//! are created, changed ones updated, in batches of 100. A content hash of what was
//! written skips articles that did not change; only the configured fields are written.

use super::api::{self, Service, encode};
use super::cursor::Cursor;
use super::report::{Outcome, Report};
use super::state::{self};
use super::{Ctx, SyncError, fortnox_client, woo_batch, woo_client};
use crate::flow_settings::FULL_ARTICLE_FIELDS;
use crate::lenient::decimal_of;
use crate::map::{product::map_product, woo_money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What was last written for a SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
struct Written {
    hash: String,
    price: Option<Decimal>,
}

/// A product body to write, before the WooCommerce side is known.
struct Candidate {
    sku: String,
    body: Map<String, Value>,
    price: Option<Decimal>,
    /// Only a price changed: update an existing product, never create one.
    price_only: bool,
}

pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let mut report = Report::default();
    let mut cursor = Cursor::load(ctx.kv, "products")?;
    let (articles, started) = changed_articles(ctx, &cursor, &mut report)?;
    let prices = prices(ctx)?;
    let mut candidates = Vec::new();
    for article in &articles {
        match candidate(ctx, article, &prices)? {
            Ok(Some(c)) => candidates.push(c),
            Ok(None) => report.add("", Outcome::Unchanged),
            Err((sku, why)) => report.add(format!("article {sku}"), Outcome::Failed(why)),
        }
    }
    candidates.extend(price_changes(ctx, &articles, &prices)?);
    let failures_before = report.failed.len();
    write(ctx, candidates, &mut report)?;
    if let Some(started) = started.filter(|_| report.failed.len() == failures_before && !ctx.dry_run) {
        cursor.saw(&started);
        cursor.save(ctx.kv)?;
    }
    Ok(report)
}

/// Articles changed since the cursor (all on a first run), as list items; answers when
/// the read began by Fortnox's clock.
fn changed_articles(
    ctx: &Ctx,
    cursor: &Cursor,
    report: &mut Report,
) -> Result<(Vec<Value>, Option<String>), SyncError> {
    let flows = &ctx.settings.flows;
    let mut query = Vec::new();
    if flows.active_only {
        query.push("filter=active".to_owned());
    }
    if let Some(since) = cursor.since_fortnox(flows.overlap_minutes) {
        query.push(format!("lastmodified={}", encode(&since)));
    }
    let resource = if query.is_empty() { "articles".to_owned() } else { format!("articles?{}", query.join("&")) };
    let mut articles = Vec::new();
    let date =
        fortnox_client::for_each(ctx.net, &ctx.endpoints.fortnox, &resource, "Articles", "articlenumber", |a| {
            if flows.webshop_only && a["WebshopArticle"] != true && a["WebshopArticle"] != "true" {
                report.skipped += 1;
            } else {
                articles.push(a);
            }
        })?;
    Ok((articles, date.and_then(|d| http_date(&d))))
}

/// An HTTP `Date` header as "YYYY-MM-DDTHH:MM:SS" (UTC). Fortnox's `lastmodified` is
/// presumably Swedish time, ahead of UTC, so a UTC cursor can only read back more.
fn http_date(value: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    Some(t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// First-tier prices of the configured price list, by article number.
fn prices(ctx: &Ctx) -> Result<BTreeMap<String, Decimal>, SyncError> {
    let list = &ctx.settings.product.price_list;
    let mut prices = BTreeMap::new();
    fortnox_client::for_each(ctx.net, &ctx.endpoints.fortnox, "prices", "Prices", "articlenumber", |p| {
        let first_tier = decimal_of(&p["FromQuantity"]).unwrap_or_default().is_zero();
        if p["PriceList"] == list.as_str()
            && first_tier
            && let (Some(sku), Some(price)) = (p["ArticleNumber"].as_str(), decimal_of(&p["Price"]))
        {
            prices.insert(sku.to_owned(), price);
        }
    })?;
    Ok(prices)
}

type Mapped = Result<Option<Candidate>, (String, String)>;

/// The body for a changed article, or `None` when it hashes to what was last written.
fn candidate(ctx: &Ctx, item: &Value, prices: &BTreeMap<String, Decimal>) -> Result<Mapped, SyncError> {
    let sku = item["ArticleNumber"].as_str().unwrap_or_default().to_owned();
    let needs_full = FULL_ARTICLE_FIELDS.iter().any(|f| ctx.settings.flows.writes(f));
    let article = if needs_full {
        let url = ctx.fortnox(&format!("articles/{}", encode(&sku)));
        api::get(ctx.net, Service::Fortnox, &url)?.map(|a| a["Article"].clone()).unwrap_or_else(|| item.clone())
    } else {
        item.clone()
    };
    let price = prices.get(&sku).copied();
    let price_json = price.map(|p| json!({ "Price": { "ArticleNumber": sku, "Price": p.to_string() } }).to_string());
    let mapped = match map_product(&article.to_string(), price_json.as_deref(), ctx.settings) {
        Ok(m) => m,
        Err(e) => return Ok(Err((sku, e.to_string()))),
    };
    let body = only_configured(ctx, mapped.body);
    let written: Written = state::load(ctx.kv, &format!("product:{sku}"))?.unwrap_or_default();
    if written.hash == hash(&body) {
        return Ok(Ok(None));
    }
    Ok(Ok(Some(Candidate { sku, body, price, price_only: false })))
}

/// The mapped body cut down to the configured fields (the SKU and meta always stay).
fn only_configured(ctx: &Ctx, body: Value) -> Map<String, Value> {
    fn field_of(key: &str) -> Option<&str> {
        match key {
            "regular_price" => Some("price"),
            "manage_stock" | "stock_quantity" => Some("stock"),
            "global_unique_id" => Some("ean"),
            "sku" | "meta_data" => None,
            other => Some(other),
        }
    }
    let mut body = body.as_object().cloned().unwrap_or_default();
    body.retain(|k, _| field_of(k).is_none_or(|f| ctx.settings.flows.writes(f)));
    body
}

fn hash(body: &Map<String, Value>) -> String {
    let digest = Sha256::digest(Value::Object(body.clone()).to_string().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Articles not changed themselves whose price moved since it was last written.
fn price_changes(
    ctx: &Ctx,
    changed: &[Value],
    prices: &BTreeMap<String, Decimal>,
) -> Result<Vec<Candidate>, SyncError> {
    if !ctx.settings.flows.writes("price") {
        return Ok(Vec::new());
    }
    let seen: std::collections::BTreeSet<&str> = changed.iter().filter_map(|a| a["ArticleNumber"].as_str()).collect();
    let mut found = Vec::new();
    for (sku, price) in prices.iter().filter(|(sku, _)| !seen.contains(sku.as_str())) {
        let Some(written) = state::load::<Written>(ctx.kv, &format!("product:{sku}"))? else { continue };
        if written.price.is_some_and(|p| p != *price) {
            let mut body = Map::new();
            body.insert("sku".into(), json!(sku));
            body.insert("regular_price".into(), woo_money(*price));
            found.push(Candidate { sku: sku.clone(), body, price: Some(*price), price_only: true });
        }
    }
    Ok(found)
}

/// WooCommerce's product or variation per SKU: (id, parent for a variation). An exact
/// SKU search finds variations too, a hundred SKUs a call.
fn woo_by_sku(ctx: &Ctx, skus: &[&str]) -> Result<BTreeMap<String, (u64, Option<u64>)>, SyncError> {
    let mut found = BTreeMap::new();
    let searchable: Vec<&str> = skus.iter().copied().filter(|s| !s.contains(',')).collect();
    for chunk in searchable.chunks(woo_client::PAGE_SIZE as usize) {
        let list: Vec<String> = chunk.iter().map(|s| encode(s)).collect();
        let route = format!("products?sku={}", list.join(","));
        woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, &route, |p| {
            let parent = p["parent_id"].as_u64().filter(|id| *id != 0);
            if let (Some(sku), Some(id)) = (p["sku"].as_str(), p["id"].as_u64()) {
                found.insert(sku.to_owned(), (id, parent));
            }
        })?;
    }
    Ok(found)
}

fn write(ctx: &Ctx, candidates: Vec<Candidate>, report: &mut Report) -> Result<(), SyncError> {
    let skus: Vec<&str> = candidates.iter().map(|c| c.sku.as_str()).collect();
    let found = if candidates.is_empty() { BTreeMap::new() } else { woo_by_sku(ctx, &skus)? };
    let mut creates = Vec::new();
    let mut updates: BTreeMap<String, Vec<(Candidate, Value)>> = BTreeMap::new();
    for c in candidates {
        let mut body = c.body.clone();
        match found.get(&c.sku) {
            Some(&(id, parent)) => {
                body.insert("id".into(), json!(id));
                let route = match parent {
                    Some(parent) => {
                        body.remove("name");
                        format!("products/{parent}/variations/batch")
                    }
                    None => "products/batch".to_owned(),
                };
                updates.entry(route).or_default().push((c, Value::Object(body)));
            }
            None if c.price_only => report.add(format!("SKU {}", c.sku), Outcome::Skipped),
            None => {
                body.insert("type".into(), json!("simple"));
                creates.push((c, Value::Object(body)));
            }
        }
    }
    if ctx.dry_run {
        for (c, _) in &creates {
            report.add(format!("article {}", c.sku), Outcome::Created);
        }
        for (c, _) in updates.values().flatten() {
            report.add(format!("article {}", c.sku), Outcome::Updated);
        }
        return Ok(());
    }
    let total = (creates.len() + updates.values().map(Vec::len).sum::<usize>()) as u64;
    let mut done = 0;
    send(ctx, ("products/batch", "create"), creates, Outcome::Created, report, (&mut done, total))?;
    for (route, items) in updates {
        send(ctx, (&route, "update"), items, Outcome::Updated, report, (&mut done, total))?;
    }
    Ok(())
}

/// One batch route's items, `(route, "create" | "update")`; `progress` counts over all routes.
fn send(
    ctx: &Ctx,
    (route, op): (&str, &str),
    items: Vec<(Candidate, Value)>,
    outcome: Outcome,
    report: &mut Report,
    progress: (&mut u64, u64),
) -> Result<(), SyncError> {
    let (done, total) = progress;
    let bodies: Vec<Value> = items.iter().map(|(_, b)| b.clone()).collect();
    let results = woo_batch::send(ctx.net, &ctx.endpoints.woocommerce, route, op, &bodies)?;
    for ((candidate, _), result) in items.iter().zip(results) {
        *done += 1;
        ctx.progress.step("products", *done, total);
        match result {
            Ok(_) => {
                remember(ctx, candidate)?;
                report.add(format!("article {}", candidate.sku), outcome.clone());
            }
            Err(why) => report.add(format!("article {}", candidate.sku), Outcome::Failed(why)),
        }
    }
    Ok(())
}

fn remember(ctx: &Ctx, c: &Candidate) -> Result<(), SyncError> {
    let key = format!("product:{}", c.sku);
    let mut written: Written = state::load(ctx.kv, &key)?.unwrap_or_default();
    if !c.price_only {
        written.hash = hash(&c.body);
    }
    written.price = c.price.or(written.price);
    state::save(ctx.kv, &key, &written)
}
