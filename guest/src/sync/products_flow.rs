//! The products flow, Fortnox → WooCommerce: articles changed since the last run (a
//! `lastmodified` cursor with an overlap window) and articles whose price-list price
//! changed are matched to WooCommerce products and variations by SKU; missing products
//! are created, changed ones updated, in batches of 100. A content hash of what was
//! written skips articles that did not change; only the configured fields are written.

use super::api::{self, Service, encode};
use super::cursor::{Cursor, http_date};
use super::product_writer::{Candidate, Writer, hash, written};
use super::report::{Outcome, Report};
use super::{Ctx, SyncError, fortnox_client};
use crate::flow_settings::FULL_ARTICLE_FIELDS;
use crate::lenient::decimal_of;
use crate::map::{product::map_product, woo_money};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Articles stream through page by page; only the price list, the SKUs seen and the
/// batches being filled are held.
pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let mut cursor = Cursor::load(ctx.kv, "products")?;
    let prices = prices(ctx)?;
    let mut writer = Writer::new(ctx);
    let mut seen = BTreeSet::new();
    let started = changed_articles(ctx, &cursor, |item| {
        let sku = item["ArticleNumber"].as_str().unwrap_or_default().to_owned();
        if ctx.settings.flows.webshop_only && item["WebshopArticle"] != true && item["WebshopArticle"] != "true" {
            writer.report.skip(format!("article {sku}"), "not marked as a webshop article in Fortnox");
            return Ok(());
        }
        consider(ctx, &mut writer, &item, &prices)?;
        seen.insert(sku);
        Ok(())
    })?;
    for c in price_changes(ctx, &seen, &prices)? {
        writer.push(c)?;
    }
    let report = writer.finish()?;
    if let Some(started) = started.filter(|_| report.failed.is_empty() && !ctx.dry_run) {
        cursor.saw(&started);
        cursor.save(ctx.kv)?;
    }
    Ok(report)
}

/// One article, as the status page's "sync now" asks: its product (created or updated when
/// it differs from what was last written) and then its stock level. Moves no cursor.
pub fn one(ctx: &Ctx, sku: &str) -> Result<Report, SyncError> {
    let Some(found) = api::get(ctx.net, Service::Fortnox, &ctx.fortnox(&format!("articles/{}", encode(sku))))? else {
        let mut report = Report::default();
        report.add(format!("article {sku}"), Outcome::Failed("Fortnox has no article with this number".into()));
        return Ok(report);
    };
    let article = found["Article"].clone();
    let list = encode(&ctx.settings.product.price_list);
    let price = api::get(ctx.net, Service::Fortnox, &ctx.fortnox(&format!("prices/{list}/{}", encode(sku))))?;
    let prices: BTreeMap<String, Decimal> =
        price.and_then(|p| decimal_of(&p["Price"]["Price"])).map(|p| (sku.to_owned(), p)).into_iter().collect();
    let mut writer = Writer::new(ctx);
    consider(ctx, &mut writer, &article, &prices)?;
    let mut report = writer.finish()?;
    super::stock_flow::one(ctx, &article, &mut report)?;
    Ok(report)
}

/// Calls `each` with every article changed since the cursor (all on a first run), as
/// list items; answers when the read began by Fortnox's clock.
fn changed_articles(
    ctx: &Ctx,
    cursor: &Cursor,
    each: impl FnMut(Value) -> Result<(), SyncError>,
) -> Result<Option<String>, SyncError> {
    let flows = &ctx.settings.flows;
    let mut query = Vec::new();
    if flows.active_only {
        query.push("filter=active".to_owned());
    }
    if let Some(since) = cursor.since_fortnox(flows.overlap_minutes) {
        query.push(format!("lastmodified={}", encode(&since)));
    }
    let resource = if query.is_empty() { "articles".to_owned() } else { format!("articles?{}", query.join("&")) };
    let date =
        fortnox_client::try_for_each(ctx.net, &ctx.endpoints.fortnox, &resource, "Articles", "articlenumber", each)?;
    Ok(date.and_then(|d| http_date(&d)))
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

/// Hands a changed article to the writer; counts an unchanged one, reports a refused one.
fn consider(
    ctx: &Ctx,
    writer: &mut Writer<'_>,
    article: &Value,
    prices: &BTreeMap<String, Decimal>,
) -> Result<(), SyncError> {
    match candidate(ctx, article, prices)? {
        Ok(Some(c)) => return writer.push(c),
        Ok(None) => writer.report.add("", Outcome::Unchanged),
        Err(why) => {
            let sku = article["ArticleNumber"].as_str().unwrap_or_default();
            writer.report.add(format!("article {sku}"), Outcome::Failed(why))
        }
    }
    Ok(())
}

/// The candidate, `None` when unchanged, or why the article cannot be mapped.
type Mapped = Result<Option<Candidate>, String>;

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
        Err(e) => return Ok(Err(e.to_string())),
    };
    let body = only_configured(ctx, mapped.body);
    let vat = decimal_of(&article["VAT"]);
    let c = Candidate { sku, body, price, vat, price_only: false };
    if written(ctx, &c.sku)?.is_some_and(|w| w.hash == hash(&c.body, c.hashed_vat(ctx))) {
        return Ok(Ok(None));
    }
    Ok(Ok(Some(c)))
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

/// Articles not changed themselves whose price moved since it was last written.
fn price_changes(
    ctx: &Ctx,
    seen: &BTreeSet<String>,
    prices: &BTreeMap<String, Decimal>,
) -> Result<Vec<Candidate>, SyncError> {
    if !ctx.settings.flows.writes("price") {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for (sku, price) in prices.iter().filter(|(sku, _)| !seen.contains(sku.as_str())) {
        let Some(written) = written(ctx, sku)? else { continue };
        if written.price.is_some_and(|p| p != *price) {
            let mut body = Map::new();
            body.insert("sku".into(), json!(sku));
            body.insert("regular_price".into(), woo_money(*price));
            found.push(Candidate { sku: sku.clone(), body, price: Some(*price), vat: None, price_only: true });
        }
    }
    Ok(found)
}
