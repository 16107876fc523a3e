//! The Fortnox stand-in: OAuth2 token endpoint with single-use rotating refresh tokens,
//! Bearer-checked `/3/` resources, the 25-in-any-5-s sliding window answered with 429,
//! paging with `MetaInformation`, substring search, read-only fields refused, and every
//! write body checked against Fortnox's published spec (`fortnox_spec`).

use crate::fortnox_documents::{Documents, Refusal, matches};
use crate::fortnox_prices::{self, Prices};
use crate::seed::Item;
use crate::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, lock};
use axum::extract::{Path, Query, State as Axum};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const RATE_LIMIT: usize = 25;
pub const RATE_WINDOW: Duration = Duration::from_secs(5);
const MAX_LIMIT: usize = 500;
/// Fields Fortnox computes itself; sending one is an error (C# SDK #154 and others).
const ARTICLE_READ_ONLY: [&str; 5] = ["SalesPrice", "DisposableQuantity", "ReservedQuantity", "StockValue", "@url"];

pub struct State {
    pub articles: BTreeMap<String, Value>,
    /// Every price list's tiers; list A tier 0 mirrors each article's `SalesPrice`.
    pub prices: Prices,
    /// When each article last changed, "YYYY-MM-DD HH:MM:SS" (Fortnox's `lastmodified`).
    pub modified: BTreeMap<String, String>,
    pub documents: Documents,
    pub tenant_id: String,
    pub access_ttl: Duration,
    access: HashMap<String, Instant>,
    refresh_live: HashSet<String>,
    codes: HashMap<String, String>,
    /// The requests of the last 5 s. Fortnox counts per client id and tenant, and this
    /// stand-in knows one of each, so every token draws on this one window.
    window: VecDeque<Instant>,
    /// How many refresh-token grants were served, for single-flight tests.
    pub refreshes: usize,
    /// Price lists aside, the company's set-up (`woonox doctor` reads it).
    pub company: crate::fortnox_company::Company,
}

impl State {
    pub fn new(catalog: &[Item]) -> State {
        let articles =
            catalog.iter().enumerate().map(|(i, item)| (item.sku.clone(), seeded_article(i, item))).collect();
        let prices = Prices::new(catalog.iter().map(|item| (item.sku.clone(), Decimal::new(item.price_ore, 2))));
        let modified = catalog
            .iter()
            .enumerate()
            .map(|(i, item)| (item.sku.clone(), format!("2026-11-01 {:02}:{:02}:00", 6 + i / 60 % 12, i % 60)))
            .collect();
        State {
            articles,
            prices,
            modified,
            documents: Documents::default(),
            tenant_id: "1234567".into(),
            access_ttl: Duration::from_secs(3600),
            access: HashMap::new(),
            refresh_live: HashSet::new(),
            codes: HashMap::new(),
            window: VecDeque::new(),
            refreshes: 0,
            company: Default::default(),
        }
    }

    /// What the consent page would hand back: a one-time code for `redirect_uri`.
    pub fn issue_code(&mut self, redirect_uri: &str) -> String {
        let code = random_token();
        self.codes.insert(code.clone(), redirect_uri.to_owned());
        code
    }

    /// Changes an article's price in list A on the article card (as a merchant would),
    /// stamping the article modified.
    pub fn set_price(&mut self, number: &str, price: f64) {
        if self.set_list_price(fortnox_prices::DEFAULT_LIST, number, price) {
            touch(self, number, "article-updated-v1");
        }
    }

    /// Changes an article's stock on its card, as a merchant's count would: stamps the
    /// article changed, which the `articles` topic tells (a warehouse delivery may tell
    /// only `warehouse-stockbalances`: ASSUMPTIONS.md). False for an unknown article.
    pub fn set_stock(&mut self, number: &str, level: f64) -> bool {
        let Some(article) = self.articles.get_mut(number).and_then(Value::as_object_mut) else { return false };
        article.insert("QuantityInStock".into(), json!(level));
        free_to_sell(article);
        touch(self, number, "article-updated-v1");
        true
    }

    /// Changes an article's first-tier price in a price list only (as the price-list
    /// screen or `PUT /3/prices` would): the article is not stamped modified, the case
    /// the products flow must find through the price list. Sets the list up if needed;
    /// false for an unknown article.
    pub fn set_list_price(&mut self, list: &str, number: &str, price: f64) -> bool {
        let Ok(price) = Decimal::try_from(price) else { return false };
        if !self.articles.contains_key(number) {
            return false;
        }
        self.prices.add_list(list);
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        self.prices.set(list, number, Decimal::ZERO, price, &today);
        if list == fortnox_prices::DEFAULT_LIST {
            self.sales_price_changed(number, price);
        }
        true
    }

    /// List A's first tier changed: the article shows it as `SalesPrice`. Its
    /// `lastmodified` stays (unverified; see ASSUMPTIONS.md).
    pub(crate) fn sales_price_changed(&mut self, number: &str, price: Decimal) {
        if let Some(article) = self.articles.get_mut(number) {
            article["SalesPrice"] = json!(price.to_f64().unwrap_or_default());
        }
    }

    /// Forgets the requests counted so far (for tests that are not about pacing).
    pub fn reset_rate_windows(&mut self) {
        self.window.clear();
    }

    /// Whether `token` is a live access token.
    pub fn access_token_valid(&self, token: &str) -> bool {
        self.access.get(token).is_some_and(|expiry| *expiry > Instant::now())
    }

    /// Voids every access token at once, as if all had expired.
    pub fn expire_access_tokens(&mut self) {
        self.access.clear();
    }

    fn grant(&mut self, with_refresh: bool) -> Value {
        let access = random_token();
        self.access.insert(access.clone(), Instant::now() + self.access_ttl);
        let mut body = json!({ "access_token": access, "scope": "article price customer order invoice",
                               "expires_in": self.access_ttl.as_secs(), "token_type": "bearer" });
        if with_refresh {
            let refresh = random_token();
            self.refresh_live.insert(refresh.clone());
            body["refresh_token"] = json!(refresh);
        }
        body
    }
}

/// A seeded article: the catalog's fields, plus the details some articles carry.
fn seeded_article(index: usize, item: &Item) -> Value {
    let mut article = json!({
        "ArticleNumber": item.sku, "Description": item.description, "Type": "STOCK",
        "StockGoods": true, "WebshopArticle": true, "Active": true, "Expired": false, "Housework": false,
        "QuantityInStock": item.stock, "ReservedQuantity": 0, "DisposableQuantity": item.stock, "StockValue": 0,
        "SalesPrice": Decimal::new(item.price_ore, 2).to_f64(), "VAT": item.vat, "Unit": "st",
        "EAN": "", "StockPlace": "", "PurchasePrice": 0,
    });
    if let (Some(a), Some(Value::Object(details))) = (article.as_object_mut(), crate::seed::article_details(index)) {
        a.extend(details);
    }
    article
}

fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) type Shared = Arc<Mutex<State>>;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/oauth-v1/auth", get(consent))
        .route("/oauth-v1/token", post(token))
        .route("/3/articles", get(list_articles).post(create_article))
        .route("/3/articles/{number}", get(get_article).put(update_article))
        .route("/3/customers", get(list_customers).post(create_customer))
        .route("/3/customers/{number}", get(get_customer).put(update_customer))
        .route("/3/orders", get(list_orders).post(create_order))
        .route("/3/orders/{number}", get(get_order))
        .route("/3/orders/{number}/{action}", axum::routing::put(order_action))
        .route("/3/invoices", get(list_invoices).post(create_invoice))
        .route("/3/invoices/{number}", get(get_invoice).put(update_invoice))
        .route("/3/invoices/{number}/{action}", axum::routing::put(invoice_action))
        .route("/3/invoicepayments", get(crate::fortnox_company::list_payments).post(create_payment))
        .route("/api/warehouse/status-v1/stockbalance", get(stock_balance))
        .merge(fortnox_prices::routes())
        .merge(crate::fortnox_company::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::fortnox_company::scopes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::fortnox_spec::check))
        // The WebSocket topics are another service at Fortnox (ws.fortnox.se), outside the
        // REST API's scopes and spec.
        .route("/topics-v1", get(crate::fortnox_events::upgrade))
        .with_state(state)
}

pub(crate) fn error(status: StatusCode, code: u64, message: &str) -> Response {
    (status, Json(json!({ "ErrorInformation": { "error": 1, "message": message, "code": code } }))).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({ "error": error, "error_description": description }))).into_response()
}

/// The consent page, approving at once: redirects back with a one-time code and the state.
async fn consent(Axum(state): Axum<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    if get("client_id") != FORTNOX_CLIENT_ID {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "Unknown client_id");
    }
    if get("response_type") != "code"
        || get("state").is_empty()
        || get("scope").is_empty()
        || get("redirect_uri").is_empty()
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "response_type, state, scope and redirect_uri are required",
        );
    }
    let code = lock(&state).issue_code(get("redirect_uri"));
    let location = format!("{}?code={code}&state={}", get("redirect_uri"), get("state"));
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn token(Axum(state): Axum<Shared>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{FORTNOX_CLIENT_ID}:{FORTNOX_CLIENT_SECRET}"));
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(&format!("Basic {expected}")) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client credentials");
    }
    let mut s = lock(&state);
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            match s.codes.remove(&code) {
                Some(uri) if form.get("redirect_uri") == Some(&uri) => Json(s.grant(true)).into_response(),
                Some(_) => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "redirect_uri does not match"),
                None => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid authorization code"),
            }
        }
        Some("refresh_token") => {
            let token = form.get("refresh_token").cloned().unwrap_or_default();
            // Single use: the old token dies the moment it is presented.
            if s.refresh_live.remove(&token) {
                s.refreshes += 1;
                Json(s.grant(true)).into_response()
            } else {
                oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid refresh token")
            }
        }
        Some("client_credentials") => {
            let tenant = headers.get("TenantId").and_then(|v| v.to_str().ok());
            if tenant == Some(s.tenant_id.as_str()) {
                Json(s.grant(false)).into_response()
            } else {
                oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "TenantId header missing or unknown")
            }
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Unsupported grant type"),
    }
}

/// Checks the Bearer token and counts the request in the client's sliding window.
pub(crate) fn admit(s: &mut State, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let now = Instant::now();
    match s.access.get(&token) {
        Some(expiry) if *expiry > now => {}
        _ => return Err(error(StatusCode::UNAUTHORIZED, 2000311, "Ogiltig eller saknad access-token")),
    }
    let window = &mut s.window;
    while window.front().is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW) {
        window.pop_front();
    }
    if window.len() >= RATE_LIMIT {
        return Err((StatusCode::TOO_MANY_REQUESTS, Json(json!({ "message": "Too Many Requests" }))).into_response());
    }
    window.push_back(now);
    Ok(())
}

/// Fields list items carry beyond the spec's `ArticleListItem`. `StockGoods` is not in
/// the 2023 spec's list item, but woonox's stock flow (guest/src/stock.rs) and the
/// products flow's `manage_stock` read it from list items; without it they write no stock
/// at all. Kept until a real account settles it (ASSUMPTIONS.md, "StockGoods").
pub const LIST_ITEM_BEYOND_SPEC: [&str; 1] = ["StockGoods"];

/// The spec's `ArticleListItem`: a subset of the article (no `Note`, `Weight`, …; a
/// second GET fetches those), some numbers as strings; plus [`LIST_ITEM_BEYOND_SPEC`].
fn list_item(article: &Value) -> Value {
    let mut item = serde_json::Map::new();
    for key in LIST_ITEM_BEYOND_SPEC {
        item.insert(key.into(), article[key].clone());
    }
    for key in
        ["ArticleNumber", "Description", "EAN", "Housework", "QuantityInStock", "StockPlace", "Unit", "WebshopArticle"]
    {
        item.insert(key.into(), article[key].clone());
    }
    for key in ["DisposableQuantity", "PurchasePrice", "ReservedQuantity", "SalesPrice", "StockValue", "VAT"] {
        let text = match &article[key] {
            Value::Null => Value::Null,
            Value::String(s) => json!(s),
            other => json!(other.to_string()),
        };
        item.insert(key.into(), text);
    }
    item.insert(
        "@url".into(),
        json!(format!("https://api.fortnox.se/3/articles/{}", article["ArticleNumber"].as_str().unwrap_or(""))),
    );
    Value::Object(item)
}

async fn list_articles(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = lock(&state);
    if let Err(r) = admit(&mut s, &headers) {
        return r;
    }
    let needle = q.get("articlenumber");
    let since = match q.get("lastmodified").map(|v| lastmodified(v)) {
        Some(None) => return error(StatusCode::BAD_REQUEST, 2000588, "Ogiltigt datum för lastmodified"),
        Some(Some(since)) => Some(since),
        None => None,
    };
    let wanted_state = match q.get("filter").map(String::as_str) {
        None => None,
        Some("active") => Some(true),
        Some("inactive") => Some(false),
        Some(_) => return error(StatusCode::BAD_REQUEST, 2000588, "Ogiltigt filter"),
    };
    let state_matches = |a: &&Value| wanted_state.is_none_or(|w| (a["Active"] != false) == w);
    let changed = |a: &&Value| {
        since.as_ref().is_none_or(|t| s.modified.get(a["ArticleNumber"].as_str().unwrap_or("")).is_some_and(|m| m >= t))
    };
    let items: Vec<Value> = s
        .articles
        .values()
        .filter(|a| matches(a, "ArticleNumber", needle))
        .filter(state_matches)
        .filter(changed)
        .map(list_item)
        .collect();
    page_of(items, "Articles", &q)
}

/// "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS", normalised to the latter.
fn lastmodified(value: &str) -> Option<String> {
    let v = value.trim();
    let full = if v.len() == 16 { format!("{v}:00") } else { v.to_owned() };
    chrono::NaiveDateTime::parse_from_str(&full, "%Y-%m-%d %H:%M:%S").ok().map(|_| full)
}

/// What is free to sell follows the stock: Fortnox computes `DisposableQuantity`
/// (read-only) as the stock less what orders reserve.
fn free_to_sell(article: &mut serde_json::Map<String, Value>) {
    let in_stock = article.get("QuantityInStock").and_then(Value::as_f64).unwrap_or(0.0);
    let reserved = article.get("ReservedQuantity").and_then(Value::as_f64).unwrap_or(0.0);
    article.insert("DisposableQuantity".into(), json!(in_stock - reserved));
}

/// Stamps an article as changed now, and tells the `articles` topic so.
fn touch(s: &mut State, number: &str, event: &'static str) {
    s.modified.insert(number.to_owned(), chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string());
    s.documents.events.push("articles", event, number);
}

/// One page of `items` under `key`, with `MetaInformation`; `limit` above 500 is refused.
fn page_of(items: Vec<Value>, key: &str, q: &HashMap<String, String>) -> Response {
    let number = |k: &str, default: usize| q.get(k).map(|v| v.parse::<usize>().ok()).unwrap_or(Some(default));
    let (page, limit) = match (number("page", 1), number("limit", 100)) {
        (Some(p), Some(l)) if p >= 1 && (1..=MAX_LIMIT).contains(&l) => (p, l),
        _ => return error(StatusCode::BAD_REQUEST, 2000588, "Ogiltig parameter: page eller limit"),
    };
    let total = items.len();
    let pages = total.div_ceil(limit).max(1);
    let page_items: Vec<Value> = items.into_iter().skip((page - 1) * limit).take(limit).collect();
    Json(json!({
        "MetaInformation": { "@TotalResources": total, "@TotalPages": pages, "@CurrentPage": page },
        key: page_items,
    }))
    .into_response()
}

async fn get_article(Axum(state): Axum<Shared>, headers: HeaderMap, Path(number): Path<String>) -> Response {
    let mut s = lock(&state);
    if let Err(r) = admit(&mut s, &headers) {
        return r;
    }
    match s.articles.get(&number) {
        Some(a) => Json(json!({ "Article": a })).into_response(),
        None => error(StatusCode::NOT_FOUND, 2000433, "Kan inte hitta artikeln"),
    }
}

/// The body's `Article`, refusing read-only fields and lengths Fortnox refuses.
fn writable_article(body: &Value) -> Result<serde_json::Map<String, Value>, Response> {
    let Some(article) = body.get("Article").and_then(Value::as_object) else {
        return Err(error(StatusCode::BAD_REQUEST, 2001392, "Felaktig eller tom request body"));
    };
    if let Some(field) = ARTICLE_READ_ONLY.iter().find(|f| article.contains_key(**f)) {
        return Err(error(StatusCode::BAD_REQUEST, 2001399, &format!("Ogiltigt fältnamn: {field}")));
    }
    let too_long =
        |key: &str, max: usize| article.get(key).and_then(Value::as_str).is_some_and(|v| v.chars().count() > max);
    if too_long("ArticleNumber", 50) || too_long("Description", 200) || too_long("EAN", 30) {
        return Err(error(StatusCode::BAD_REQUEST, 2000106, "Värdet är för långt"));
    }
    Ok(article.clone())
}

async fn create_article(Axum(state): Axum<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut s = lock(&state);
    if let Err(r) = admit(&mut s, &headers) {
        return r;
    }
    let article = match writable_article(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(number) = article.get("ArticleNumber").and_then(Value::as_str).map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, 2000729, "Artikelnummer saknas");
    };
    if article.get("Description").and_then(Value::as_str).is_none_or(str::is_empty) {
        return error(StatusCode::BAD_REQUEST, 2000106, "Benämning måste anges");
    }
    if s.articles.contains_key(&number) {
        return error(StatusCode::BAD_REQUEST, 2000013, "Artikelnumret används redan");
    }
    s.articles.insert(number.clone(), Value::Object(article));
    touch(&mut s, &number, "article-created-v1");
    Json(json!({ "Article": s.articles[&number] })).into_response()
}

async fn update_article(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut s = lock(&state);
    if let Err(r) = admit(&mut s, &headers) {
        return r;
    }
    let changes = match writable_article(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(article) = s.articles.get_mut(&number).and_then(Value::as_object_mut) else {
        return error(StatusCode::NOT_FOUND, 2000433, "Kan inte hitta artikeln");
    };
    for (k, v) in changes {
        // "API_BLANK" clears a field; absent fields stay as they are.
        if v == "API_BLANK" {
            article.remove(&k);
        } else {
            article.insert(k, v);
        }
    }
    free_to_sell(article);
    touch(&mut s, &number, "article-updated-v1");
    Json(json!({ "Article": s.articles[&number] })).into_response()
}

fn refused((status, code, message): Refusal) -> Response {
    error(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), code, &message)
}

async fn list_customers(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    listed(&state, &headers, &q, "Customers", |s| {
        s.documents
            .customers
            .values()
            .filter(|c| {
                matches(c, "Email", q.get("email")) && matches(c, "OrganisationNumber", q.get("organisationnumber"))
            })
            .filter(|c| matches(c, "Name", q.get("name")))
            .map(|c| {
                json!({ "CustomerNumber": c["CustomerNumber"], "Name": c["Name"], "Email": c["Email"],
                         "OrganisationNumber": c["OrganisationNumber"] })
            })
            .collect()
    })
}

async fn create_customer(Axum(state): Axum<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    guarded(&state, &headers, |s| s.documents.create_customer(&body))
}

async fn update_customer(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Path(number): Path<u64>,
    Json(body): Json<Value>,
) -> Response {
    guarded(&state, &headers, |s| s.documents.update_customer(number, &body))
}

async fn get_customer(Axum(state): Axum<Shared>, headers: HeaderMap, Path(number): Path<u64>) -> Response {
    guarded(&state, &headers, |s| {
        s.documents.customers.get(&number).map(|c| json!({ "Customer": c })).ok_or((
            404,
            2000433,
            "Kan inte hitta kunden".into(),
        ))
    })
}

async fn list_orders(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    listed(&state, &headers, &q, "Orders", |s| {
        s.documents
            .orders
            .values()
            .filter(|o| matches(o, "ExternalInvoiceReference1", q.get("externalinvoicereference1")))
            .filter(|o| matches(o, "YourOrderNumber", q.get("yourordernumber")))
            .map(|o| {
                json!({ "DocumentNumber": o["DocumentNumber"], "CustomerNumber": o["CustomerNumber"],
                         "ExternalInvoiceReference1": o["ExternalInvoiceReference1"], "Total": o["Total"].to_string(),
                         "Cancelled": o["Cancelled"] })
            })
            .collect()
    })
}

async fn create_order(Axum(state): Axum<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    guarded(&state, &headers, |s| {
        let State { documents, articles, .. } = s;
        documents.create_order(&body, articles)
    })
}

async fn get_order(Axum(state): Axum<Shared>, headers: HeaderMap, Path(number): Path<u64>) -> Response {
    guarded(&state, &headers, |s| {
        s.documents.orders.get(&number).map(|o| json!({ "Order": o })).ok_or((
            404,
            2000433,
            "Kan inte hitta ordern".into(),
        ))
    })
}

/// A paged list of what `select` picks, after the Bearer and rate checks.
pub(crate) fn listed(
    state: &Shared,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    key: &str,
    select: impl FnOnce(&State) -> Vec<Value>,
) -> Response {
    let mut s = lock(state);
    if let Err(r) = admit(&mut s, headers) {
        return r;
    }
    page_of(select(&s), key, q)
}

/// Runs `act` on the state after the Bearer and rate checks, answering its JSON or refusal.
pub(crate) fn guarded(
    state: &Shared,
    headers: &HeaderMap,
    act: impl FnOnce(&mut State) -> Result<Value, Refusal>,
) -> Response {
    let mut s = lock(state);
    if let Err(r) = admit(&mut s, headers) {
        return r;
    }
    act(&mut s).map(|v| Json(v).into_response()).unwrap_or_else(refused)
}

async fn order_action(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Path((number, action)): Path<(u64, String)>,
) -> Response {
    guarded(&state, &headers, |s| {
        let State { documents, articles, .. } = s;
        match action.as_str() {
            "createinvoice" => documents.order_create_invoice(number, articles),
            "cancel" => documents.order_cancel(number),
            other => Err((404, 2000588, format!("Okänd åtgärd {other}"))),
        }
    })
}

async fn list_invoices(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let since = match q.get("lastmodified").map(|v| lastmodified(v)) {
        Some(None) => return error(StatusCode::BAD_REQUEST, 2000588, "Ogiltigt datum för lastmodified"),
        since => since.flatten(),
    };
    listed(&state, &headers, &q, "Invoices", |s| {
        let docs = &s.documents;
        let changed = |n: &u64| since.as_ref().is_none_or(|t| docs.invoice_modified.get(n).is_some_and(|m| m >= t));
        // List items carry the spec's InvoiceListItem fields only: no Credit, no rows.
        docs.invoices
            .iter()
            .filter(|(n, _)| changed(n))
            .map(|(_, i)| i)
            .filter(|i| matches(i, "ExternalInvoiceReference1", q.get("externalinvoicereference1")))
            .filter(|i| matches(i, "ExternalInvoiceReference2", q.get("externalinvoicereference2")))
            .filter(|i| q.get("credit").is_none_or(|c| (c == "true") == (i["Credit"] == true)))
        .map(|i| {
            json!({ "DocumentNumber": i["DocumentNumber"], "CustomerNumber": i["CustomerNumber"],
                    "ExternalInvoiceReference1": i["ExternalInvoiceReference1"], "ExternalInvoiceReference2": i["ExternalInvoiceReference2"],
                    "Total": i["Total"].to_string(), "Balance": i["Balance"].to_string(), "Booked": i["Booked"],
                    "Cancelled": i["Cancelled"], "FinalPayDate": i["FinalPayDate"], "InvoiceDate": i["InvoiceDate"],
                    "Currency": i["Currency"], "CurrencyRate": i["CurrencyRate"] })
        })
            .collect()
    })
}

async fn create_invoice(Axum(state): Axum<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    guarded(&state, &headers, |s| {
        let State { documents, articles, .. } = s;
        documents.create_invoice(&body, articles)
    })
}

async fn get_invoice(Axum(state): Axum<Shared>, headers: HeaderMap, Path(number): Path<u64>) -> Response {
    guarded(&state, &headers, |s| {
        s.documents.invoices.get(&number).map(|i| json!({ "Invoice": i })).ok_or((
            404,
            2000433,
            "Kan inte hitta fakturan".into(),
        ))
    })
}

async fn update_invoice(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Path(number): Path<u64>,
    Json(body): Json<Value>,
) -> Response {
    guarded(&state, &headers, |s| {
        let State { documents, articles, .. } = s;
        documents.update_invoice(number, &body, articles)
    })
}

async fn invoice_action(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Path((number, action)): Path<(u64, String)>,
) -> Response {
    guarded(&state, &headers, |s| s.documents.invoice_action(number, &action))
}

async fn create_payment(Axum(state): Axum<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    guarded(&state, &headers, |s| s.documents.pay(&body))
}

/// Rates of the day for the currencies a Swedish shop meets; others are not set up.
/// Warehouse stock per stock point (camelCase, no envelope), for the articles asked for.
async fn stock_balance(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    guarded(&state, &headers, |s| {
        let wanted: Vec<&str> = q.get("itemIds").map(|v| v.split(',').collect()).unwrap_or_default();
        let rows: Vec<Value> = s
            .articles
            .values()
            .filter(|a| wanted.is_empty() || wanted.contains(&a["ArticleNumber"].as_str().unwrap_or("")))
            .flat_map(|a| {
                let stock = a["QuantityInStock"].as_f64().unwrap_or(0.0);
                let main = (stock * 0.75).floor();
                [("MAIN", main), ("SHOP", stock - main)].map(|(point, qty)| {
                    json!({ "itemId": a["ArticleNumber"], "stockPointCode": point, "inStock": qty, "availableStock": qty })
                })
            })
            .collect();
        Ok(Value::Array(rows))
    })
}
