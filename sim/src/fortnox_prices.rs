//! Fortnox prices in the stand-in: price lists holding quantity tiers per article
//! (`POST /3/prices`, `PUT`/`GET /3/prices/{list}/{article}[/{from}]`, `GET /3/prices`).
//! List "A" tier 0 is the article's `SalesPrice` (Fortnox shows the default list's price
//! there), so writing that tier also changes the article.

use crate::fortnox::{Shared, State, guarded, listed};
use crate::fortnox_documents::Refusal;
use axum::extract::{Path, Query, State as Axum};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Json, Router};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

/// The list whose first tier is the article's `SalesPrice` (conventionally "A",
/// docs/fortnox-api.md §3.2, unverified).
pub const DEFAULT_LIST: &str = "A";

/// (price list, article number, from quantity).
type Key = (String, String, Decimal);

struct Tier {
    price: Decimal,
    percent: Decimal,
    date: String,
}

pub struct Prices {
    lists: BTreeSet<String>,
    tiers: BTreeMap<Key, Tier>,
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn decimal(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok().map(|d| d.normalize())
}

fn number(d: Decimal) -> Value {
    json!(d.to_f64().unwrap_or_default())
}

impl Prices {
    /// Price list A with each article's first tier.
    pub fn new(first_tiers: impl IntoIterator<Item = (String, Decimal)>) -> Prices {
        let mut prices = Prices { lists: BTreeSet::from([DEFAULT_LIST.to_owned()]), tiers: BTreeMap::new() };
        for (article, price) in first_tiers {
            prices.set(DEFAULT_LIST, &article, Decimal::ZERO, price, "2026-11-01");
        }
        prices
    }

    /// Sets up another price list (as a merchant would in Fortnox's settings).
    pub fn add_list(&mut self, code: &str) {
        self.lists.insert(code.to_owned());
    }

    pub fn set(&mut self, list: &str, article: &str, from: Decimal, price: Decimal, date: &str) {
        let tier = Tier { price, percent: Decimal::ZERO, date: date.to_owned() };
        self.tiers.insert((list.to_owned(), article.to_owned(), from.normalize()), tier);
    }

    fn json(&self, (list, article, from): &Key) -> Value {
        let tier = &self.tiers[&(list.clone(), article.clone(), *from)];
        json!({ "@url": format!("https://api.fortnox.se/3/prices/{list}/{article}/{from}"),
                "ArticleNumber": article, "PriceList": list, "FromQuantity": number(*from),
                "Price": number(tier.price), "Percent": number(tier.percent), "Date": tier.date })
    }

    pub fn all(&self) -> Vec<Value> {
        self.tiers.keys().map(|k| self.json(k)).collect()
    }

    /// The lowest tier of an article in a list.
    fn first(&self, list: &str, article: &str) -> Option<Key> {
        self.tiers.keys().find(|(l, a, _)| l == list && a == article).cloned()
    }

    pub fn has_list(&self, list: &str) -> bool {
        self.lists.contains(list)
    }

    fn missing_list(&self, list: &str) -> Option<Refusal> {
        (!self.lists.contains(list)).then(|| (404, 2000430, format!("Kan inte hitta prislistan {list}")))
    }
}

pub fn routes() -> Router<Shared> {
    use axum::routing::get;
    Router::new()
        .route("/3/prices", get(list_prices).post(create_price))
        .route("/3/prices/{list}/{number}", get(get_first).put(update_first))
        .route("/3/prices/{list}/{number}/{from}", get(get_tier).put(update_tier))
}

/// Every price of every price list, paged like any list.
async fn list_prices(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    listed(&state, &headers, &q, "Prices", |s| s.prices.all())
}

/// `getFirstPrice`: the lowest tier of an article in a list.
async fn get_first(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Path((list, number)): Path<(String, String)>,
) -> Response {
    guarded(&state, &headers, |s| {
        let key = first_or_refusal(s, &list, &number)?;
        Ok(json!({ "Price": s.prices.json(&key) }))
    })
}

async fn get_tier(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Path((list, number, from)): Path<(String, String, String)>,
) -> Response {
    guarded(&state, &headers, |s| {
        let key = tier_or_refusal(s, &list, &number, &from)?;
        Ok(json!({ "Price": s.prices.json(&key) }))
    })
}

fn first_or_refusal(s: &State, list: &str, number: &str) -> Result<Key, Refusal> {
    if let Some(r) = s.prices.missing_list(list) {
        return Err(r);
    }
    s.prices.first(list, number).ok_or_else(|| (404, 2000433, format!("Kan inte hitta priset för {number}")))
}

fn tier_or_refusal(s: &State, list: &str, number: &str, from: &str) -> Result<Key, Refusal> {
    if let Some(r) = s.prices.missing_list(list) {
        return Err(r);
    }
    let from = decimal(&json!(from)).ok_or_else(|| (400, 2000108, format!("Ogiltig FromQuantity: {from}")))?;
    let key = (list.to_owned(), number.to_owned(), from);
    s.prices
        .tiers
        .contains_key(&key)
        .then_some(key)
        .ok_or_else(|| (404, 2000433, format!("Kan inte hitta priset för {number}")))
}

/// The body's `Price` object (the spec check has already vetted its fields).
fn price_of(body: &Value) -> Result<&Map<String, Value>, Refusal> {
    body.get("Price").and_then(Value::as_object).ok_or_else(|| (400, 2001392, "Felaktig eller tom request body".into()))
}

async fn create_price(Axum(state): Axum<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    guarded(&state, &headers, |s| {
        let p = price_of(&body)?;
        let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (list, article) = (text("PriceList"), text("ArticleNumber"));
        if list.is_empty() || article.is_empty() {
            return Err((400, 2000729, "ArticleNumber och PriceList måste anges".into()));
        }
        if let Some((_, code, message)) = s.prices.missing_list(&list) {
            return Err((400, code, message));
        }
        if !s.articles.contains_key(&article) {
            return Err((400, 2000433, format!("Kan inte hitta artikeln {article}")));
        }
        let from = p.get("FromQuantity").and_then(decimal).unwrap_or_default().normalize();
        let key = (list, article, from);
        if s.prices.tiers.contains_key(&key) {
            return Err((400, 2000013, format!("Priset finns redan för {} från {}", key.1, key.2)));
        }
        write(s, key, p)
    })
}

async fn update_tier(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Path((list, number, from)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Response {
    guarded(&state, &headers, |s| {
        let key = tier_or_refusal(s, &list, &number, &from)?;
        write(s, key, price_of(&body)?)
    })
}

async fn update_first(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Path((list, number)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    guarded(&state, &headers, |s| {
        let key = first_or_refusal(s, &list, &number)?;
        write(s, key, price_of(&body)?)
    })
}

/// Stores the body's `Price`/`Percent` on the tier (a partial merge on update) and keeps
/// the article's `SalesPrice` in step when the tier is list A's first.
fn write(s: &mut State, key: Key, p: &Map<String, Value>) -> Result<Value, Refusal> {
    let old = s.prices.tiers.get(&key);
    let price = p.get("Price").and_then(decimal).or(old.map(|t| t.price)).unwrap_or_default();
    let percent = p.get("Percent").and_then(decimal).or(old.map(|t| t.percent)).unwrap_or_default();
    s.prices.tiers.insert(key.clone(), Tier { price, percent, date: today() });
    if key.0 == DEFAULT_LIST && key.2.is_zero() {
        s.sales_price_changed(&key.1, price);
    }
    Ok(json!({ "Price": s.prices.json(&key) }))
}
