//! The WooCommerce stand-in, behaving like the real 10.0.2 store recorded in
//! `shared/specs/woocommerce/real-10.0.2`: over plain HTTP only OAuth 1.0a authenticates
//! (Basic is ignored), over HTTPS Basic and query-string keys too; keys work only on
//! `/wp-json/wc/` URLs; paging with
//! `X-WP-Total`/`X-WP-TotalPages` and a `Link` header that echoes the request's query;
//! `per_page` above 100 refused. This file holds the store's state, the router, auth and
//! paging; the resources live in `woo_products`, `woo_customers`, `woo_order_routes`
//! (with `woo_order_create`, `woo_order_writes`, `woo_order_view`), `woo_taxes` and
//! `woo_catalog_extra`. `sim/tests/woo_replay_real_store.rs` replays the recordings.

use crate::oauth1_verify::{REQUIRED, TIMESTAMP_WINDOW_SECS, expected_signature, header_params};
use crate::seed::Item;
use crate::woo_order_routes as orders;
use crate::woo_products::{
    batch_products, batch_variations, create_product, create_variation, get_product, get_variation, list_products,
    list_variations, update_product, update_variation,
};
use crate::{WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET, lock};
use axum::extract::{Path, Request, State as Axum};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct State {
    /// Off: the store uses "Plain" permalinks, so /wp-json/ is WordPress's HTML 404 page.
    pub pretty_permalinks: bool,
    /// The API key's permission: "read_write" (default), "read" or "write".
    pub key_permissions: String,
    /// High-performance order storage (on in the recorded store).
    pub hpos: bool,
    /// Tax rates beyond the recorded store's four (`GET /taxes` lists them after those).
    pub extra_tax_rates: Vec<Value>,
    pub products: Vec<Value>,
    pub orders: Vec<Value>,
    pub writes: crate::woo_order_writes::OrderWrites,
    pub extra: crate::woo_catalog_extra::Extra,
    /// The store's settings (tax and general), as `/settings` shows them.
    pub settings: crate::woo_taxes::Settings,
    /// Coupons made through the API (`POST /coupons`).
    pub coupons: Vec<Value>,
    next_id: u64,
    /// Order item ids (lines, shipping, fees, tax lines, coupons, meta): one sequence.
    pub(crate) next_item: u64,
    nonces: HashMap<(String, String), Instant>,
    /// Where each product id was last seen in `products` (see `place_of`).
    places: std::cell::RefCell<HashMap<u64, usize>>,
}

impl State {
    pub fn new(catalog: &[Item], orders: usize, refunds: usize) -> State {
        // The store starts with half the catalog published, with its own stock levels.
        let mut products: Vec<Value> = catalog
            .iter()
            .step_by(2)
            .enumerate()
            .map(|(i, item)| {
                json!({ "id": 100 + i, "type": "simple", "parent_id": 0, "name": crate::woo_text::stored_name(&item.description), "sku": item.sku,
                        "regular_price": format!("{:.2}", item.price_ore as f64 / 100.0), "manage_stock": true,
                        "tax_class": crate::woo_taxes::class_of_rate(item.vat as u32),
                        "stock_quantity": item.stock / 2, "status": "publish" })
            })
            .collect();
        products.extend(variations(catalog));
        let orders = crate::seed::orders(catalog, orders).iter().map(|spec| crate::woo_orders::build(spec).0).collect();
        // New posts are numbered above the seeded ones (variations sit at 20 000 and 30 000).
        let seeded = products.iter().chain(&orders).filter_map(|v: &Value| v["id"].as_u64()).max().unwrap_or(0);
        let mut state = State {
            pretty_permalinks: true,
            key_permissions: "read_write".into(),
            hpos: true,
            extra_tax_rates: Vec::new(),
            next_id: seeded.max(100 + catalog.len() as u64),
            products,
            orders,
            writes: Default::default(),
            extra: crate::woo_catalog_extra::Extra::seeded(),
            settings: Default::default(),
            coupons: Vec::new(),
            next_item: 0,
            nonces: HashMap::new(),
            places: Default::default(),
        };
        state.seed_refunds(refunds);
        state
    }

    /// The recorded store before its first exchange (exchange 02 finds no products): no
    /// products or orders, the administrator as the only user, the settings as recorded.
    pub fn blank() -> State {
        let mut state = State::new(&[], 0, 0);
        state.extra.customers.retain(|c| c["role"] == "administrator");
        state
    }

    /// Where product `id` is in `products`. The stand-in's tests also edit that Vec
    /// directly, so a remembered place is checked at each use and all are found again in
    /// one pass when it is stale or missing: a store of 50,000 products then answers a
    /// lookup without a pass, as a real store's primary key does.
    pub(crate) fn place_of(&self, id: u64) -> Option<usize> {
        let checked = |places: &HashMap<u64, usize>| {
            places.get(&id).copied().filter(|&at| self.products.get(at).is_some_and(|p| p["id"] == id))
        };
        if let Some(at) = checked(&self.places.borrow()) {
            return Some(at);
        }
        let mut places = HashMap::with_capacity(self.products.len());
        for (at, p) in self.products.iter().enumerate() {
            // Should planted data repeat an id, the first, as a scan finds it.
            places.entry(p["id"].as_u64().unwrap_or(0)).or_insert(at);
        }
        let at = checked(&places);
        *self.places.borrow_mut() = places;
        at
    }

    /// A new WordPress post id: products, variations and orders share one sequence, which
    /// starts above every seeded id (see `new`).
    pub(crate) fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The orders woonox sends to Fortnox: those paid for (processing or completed).
    pub fn paid_orders(&self) -> impl Iterator<Item = &Value> {
        self.orders.iter().filter(|o| o["status"] == "processing" || o["status"] == "completed")
    }

    /// Partial refunds made in the store: one unit of the first line of every few paid orders.
    fn seed_refunds(&mut self, count: usize) {
        let paid: Vec<u64> = self.paid_orders().filter_map(|o| o["id"].as_u64()).collect();
        for id in paid.iter().step_by(5).take(count) {
            let order = self.orders.iter().find(|o| o["id"] == *id).cloned().unwrap_or_default();
            let line = &order["line_items"][0];
            let quantity = line["quantity"].as_f64().unwrap_or(1.0);
            let per = |k: &str| line[k].as_str().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / quantity;
            let body = json!({ "api_refund": false, "reason": "Returned", "line_items": [{ "id": line["id"], "quantity": 1,
                "refund_total": format!("{:.2}", per("total")),
                "refund_tax": [{ "id": line["taxes"][0]["id"], "refund_total": format!("{:.2}", per("total_tax")) }] }] });
            let _ = self.writes.refund(&mut self.orders, *id, &body);
        }
    }
}

/// Every twentieth unpublished article is the one variation of a variable product.
/// Parents and variations sit above every simple product's id (at 20 000 and 30 000 up to
/// 10 000 articles), so no two posts share an id however large the catalog.
fn variations(catalog: &[Item]) -> Vec<Value> {
    let parents = (100 + catalog.len()).max(20_000);
    let children = parents + catalog.len().max(10_000);
    catalog
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 20 == 5)
        .flat_map(|(i, item)| {
            let class = crate::woo_taxes::class_of_rate(item.vat as u32);
            [
                json!({ "id": parents + i, "type": "variable", "parent_id": 0, "name": crate::woo_text::stored_name(&format!("{} (varianter)", item.description)),
                        "sku": "", "status": "publish", "tax_class": class }),
                // A variation at the standard rate follows its parent ("parent"); others carry their own class.
                json!({ "id": children + i, "type": "variation", "parent_id": parents + i, "sku": item.sku,
                        "regular_price": "", "manage_stock": false, "stock_quantity": null, "status": "publish",
                        "tax_class": if class.is_empty() { "parent" } else { class } }),
            ]
        })
        .collect()
}

#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) state: Arc<Mutex<State>>,
    pub(crate) home_url: Arc<Mutex<String>>,
}

pub fn router(state: Arc<Mutex<State>>, home_url: Arc<Mutex<String>>) -> Router {
    let ctx = Ctx { state, home_url };
    Router::new()
        .route("/wp-json/wc/v3/products", get(list_products).post(create_product))
        .route("/wp-json/wc/v3/products/batch", post(batch_products))
        .route("/wp-json/wc/v3/products/{id}", get(get_product).put(update_product))
        .route("/wp-json/wc/v3/orders", get(orders::list_orders).post(orders::create_order))
        .route(
            "/wp-json/wc/v3/customers",
            get(crate::woo_customers::list_customers).post(crate::woo_customers::create_customer),
        )
        .route("/wp-json/wc/v3/products/{id}/variations", get(list_variations).post(create_variation))
        .route("/wp-json/wc/v3/products/{id}/variations/batch", post(batch_variations))
        .route("/wp-json/wc/v3/products/{id}/variations/{vid}", get(get_variation).put(update_variation))
        .route("/wp-json/wc/v3/webhooks", get(list_webhooks).post(create_webhook))
        .route("/wp-json/wc/v3/webhooks/{id}", get(get_webhook).put(update_webhook).delete(delete_webhook))
        .route("/wp-json/wc/v3/orders/{id}", get(orders::get_order).put(orders::update_order))
        .route("/wp-json/wc/v3/orders/{id}/notes", get(orders::list_notes).post(orders::add_note))
        .route("/wp-json/wc/v3/orders/{id}/refunds", get(orders::list_refunds).post(orders::add_refund))
        .route("/wp-json/wc/v3/refunds", get(orders::all_refunds))
        .route("/wp-json/wc/v3/coupons", post(orders::create_coupon))
        .route("/wp-json/wc/v3/system_status", get(crate::woo_taxes::routes::system_status))
        .route("/wp-json/wc/v3/settings/{group}", get(crate::woo_taxes::routes::settings_group))
        .route("/wp-json/wc/v3/settings/{group}/{id}", axum::routing::put(crate::woo_taxes::routes::set_setting))
        .route("/wp-json/wc/v3/taxes/classes", get(crate::woo_taxes::routes::tax_classes))
        .route("/wp-json/wc/v3/taxes", get(crate::woo_taxes::routes::tax_rates))
        .fallback(not_found)
        .with_state(ctx)
}

fn wc_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message, "data": { "status": status.as_u16() } }))).into_response()
}

/// `?rest_route=` URLs are served but never authenticated, as on the real store.
async fn not_found(request: Request) -> Response {
    if request.uri().query().unwrap_or("").contains("rest_route=") {
        return wc_error(StatusCode::UNAUTHORIZED, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.");
    }
    wc_error(StatusCode::NOT_FOUND, "rest_no_route", "No route was found matching the URL and request method.")
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// As the real store (exchanges 70-77): over HTTPS, keys in the query string or Basic
/// auth, else OAuth 1.0a signed against the https home URL; over plain HTTP only OAuth
/// 1.0a, Basic and query-string keys being ignored.
fn authenticate(ctx: &Ctx, request: &Request) -> Result<(), Response> {
    if !lock(&ctx.state).pretty_permalinks {
        let page = "<!doctype html><title>Sidan hittades inte</title><h1>Hoppsan! Sidan kunde inte hittas.</h1>";
        return Err((StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html; charset=UTF-8")], page).into_response());
    }
    let https = lock(&ctx.home_url).starts_with("https://");
    match basic_credentials(request).filter(|_| https) {
        Some((key, secret)) if key == WOO_CONSUMER_KEY && secret == WOO_CONSUMER_SECRET => Ok(()),
        Some((key, _)) if key == WOO_CONSUMER_KEY => Err(auth_error("Consumer secret is invalid.")),
        // An unknown key sets no error: the request goes on to OAuth, and is anonymous without it.
        _ => oauth1(ctx, request),
    }?;
    permitted(&lock(&ctx.state).key_permissions, request.method())
}

/// What the key may do by method, as WooCommerce's REST authentication checks it after
/// the signature (docs/woocommerce-api.md, "Permission by method").
fn permitted(permissions: &str, method: &axum::http::Method) -> Result<(), Response> {
    use axum::http::Method;
    let (needs, word) = match *method {
        Method::OPTIONS => return Ok(()),
        Method::GET | Method::HEAD => ("read", "read"),
        _ => ("write", "write"),
    };
    if permissions == "read_write" || permissions == needs {
        return Ok(());
    }
    Err(auth_error(&format!("The API key provided does not have {word} permissions.")))
}

fn auth_error(message: &str) -> Response {
    wc_error(StatusCode::UNAUTHORIZED, "woocommerce_rest_authentication_error", message)
}

/// `consumer_key` and `consumer_secret` in the query (both non-empty) first, else
/// `Authorization: Basic base64(key:secret)`.
fn basic_credentials(request: &Request) -> Option<(String, String)> {
    let query = query_pairs(request.uri().query().unwrap_or(""));
    let get = |k: &str| query.iter().find(|(key, v)| key == k && !v.is_empty()).map(|(_, v)| v.clone());
    if let (Some(key), Some(secret)) = (get("consumer_key"), get("consumer_secret")) {
        return Some((key, secret));
    }
    use base64::Engine as _;
    let header = request.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(header.strip_prefix("Basic ")?.trim()).ok()?;
    let (key, secret) = String::from_utf8(decoded).ok()?.split_once(':').map(|(k, s)| (k.to_owned(), s.to_owned()))?;
    (!key.is_empty() && !secret.is_empty()).then_some((key, secret))
}

/// OAuth 1.0a, checked the way WooCommerce does, against the store's home URL.
fn oauth1(ctx: &Ctx, request: &Request) -> Result<(), Response> {
    let (method, path, headers) = (request.method(), request.uri().path(), request.headers());
    let query = query_pairs(request.uri().query().unwrap_or(""));
    let auth = auth_error;
    let mut params: Vec<(String, String)> = query;
    if let Some(h) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        params.extend(header_params(h));
    }
    let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let present: Vec<&str> = REQUIRED.iter().copied().filter(|k| get(k).is_some()).collect();
    if present.is_empty() {
        // Basic credentials are ignored over plain HTTP: the request is anonymous.
        return Err(wc_error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        ));
    }
    if present.len() < REQUIRED.len() {
        let missing: Vec<&str> = REQUIRED.iter().copied().filter(|k| get(k).is_none()).collect();
        return Err(wc_error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_authentication_missing_parameter",
            &format!("Missing OAuth parameter {}", missing.join(", ")),
        ));
    }
    if get("oauth_consumer_key").as_deref() != Some(WOO_CONSUMER_KEY) {
        return Err(auth("Consumer key is invalid."));
    }
    let sig_method = get("oauth_signature_method").unwrap_or_default();
    let base_url = format!("{}{}", lock(&ctx.home_url), path);
    let expected = expected_signature(&sig_method, method.as_str(), &base_url, WOO_CONSUMER_SECRET, &params)
        .ok_or_else(|| auth("Invalid signature - signature method is invalid."))?;
    // PHP has already turned a raw '+' into a space; WooCommerce tolerates that.
    let given = get("oauth_signature").unwrap_or_default().replace(' ', "+");
    if given != expected {
        return Err(auth("Invalid signature - provided signature does not match."));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
    let timestamp: i64 = get("oauth_timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    if (now - timestamp).abs() > TIMESTAMP_WINDOW_SECS {
        return Err(auth("Invalid timestamp."));
    }
    let mut s = lock(&ctx.state);
    let window = Duration::from_secs(TIMESTAMP_WINDOW_SECS as u64);
    s.nonces.retain(|_, seen| seen.elapsed() < window);
    let key = (WOO_CONSUMER_KEY.to_owned(), get("oauth_nonce").unwrap_or_default());
    if s.nonces.insert(key, Instant::now()).is_some() {
        return Err(auth("Invalid nonce - nonce has already been used."));
    }
    Ok(())
}

pub(crate) type Param<'a> = &'a dyn Fn(&str) -> Option<String>;

/// An authenticated, paged list: `per_page` 1..=100, `X-WP-Total(Pages)`, and a `Link`
/// header that repeats the request's query.
pub(crate) fn list(ctx: &Ctx, request: &Request, select: impl FnOnce(&State, Param<'_>) -> Vec<Value>) -> Response {
    list_shown(ctx, request, |s, param| select(s, param).into_iter().map(Cow::Owned).collect(), |_, item| item.clone())
}

/// A paged list whose items `select` picks as stored and `show` turns into answers, for
/// the page only (a view can be costly; lists can be long).
pub(crate) fn list_shown(
    ctx: &Ctx,
    request: &Request,
    // Borrowed where it can be: only the page asked for is copied, not every match.
    select: impl for<'a> FnOnce(&'a State, Param<'_>) -> Vec<Cow<'a, Value>>,
    show: impl Fn(&State, &Value) -> Value,
) -> Response {
    if let Err(r) = authenticate(ctx, request) {
        return r;
    }
    let raw_query = request.uri().query().unwrap_or("").to_owned();
    let query = query_pairs(&raw_query);
    let param = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let per_page: i64 = param("per_page").and_then(|v| v.parse().ok()).unwrap_or(10);
    let page: i64 = param("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    if !(1..=100).contains(&per_page) {
        let bounds = "per_page must be between 1 (inclusive) and 100 (inclusive)";
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
                         "data": { "status": 400, "params": { "per_page": bounds },
                                   "details": { "per_page": { "code": "rest_out_of_bounds", "message": bounds, "data": null } } } })),
        )
            .into_response();
    }
    let state = lock(&ctx.state);
    let matching = select(&state, &param);
    let total = matching.len() as i64;
    let pages = (total + per_page - 1) / per_page;
    let items: Vec<Value> = matching
        .iter()
        .skip(((page.max(1) - 1) * per_page) as usize)
        .take(per_page as usize)
        .map(|item| show(&state, item.as_ref()))
        .collect();
    drop(state);
    let mut response = Json(items).into_response();
    let h = response.headers_mut();
    h.insert("X-WP-Total", HeaderValue::from(total));
    h.insert("X-WP-TotalPages", HeaderValue::from(pages));
    if let Some(link) = link_header(&lock(&ctx.home_url), request.uri().path(), &raw_query, page, pages) {
        h.insert(header::LINK, link);
    }
    response
}

/// prev/next only, each repeating the request's whole query (oauth_* included) with
/// another page number, as the real store does.
fn link_header(home: &str, path: &str, raw_query: &str, page: i64, pages: i64) -> Option<HeaderValue> {
    let mut rest: Vec<String> =
        raw_query.split('&').filter(|kv| !kv.starts_with("page=") && !kv.is_empty()).map(str::to_owned).collect();
    if path.ends_with("/orders") {
        orders_link_query(&mut rest);
    }
    let with_page = |p: i64| format!("<{home}{path}?{}&page={p}>", rest.join("&"));
    let mut links = Vec::new();
    // Past the last page, prev points at the last page (exchange 33).
    if page > 1 && pages > 0 {
        links.push(format!("{}; rel=\"prev\"", with_page((page - 1).min(pages))));
    }
    if page < pages {
        links.push(format!("{}; rel=\"next\"", with_page(page + 1)));
    }
    (!links.is_empty()).then(|| HeaderValue::from_str(&links.join(", ")).ok()).flatten()
}

/// On `/orders` the links also carry what the store filled in (exchange 97):
/// `dates_are_gmt=1` for `true`, and `status[0]=any`, `dp=2`, `context=view`.
fn orders_link_query(query: &mut Vec<String>) {
    for kv in query.iter_mut() {
        if kv == "dates_are_gmt=true" {
            *kv = "dates_are_gmt=1".into();
        }
    }
    let has = |q: &Vec<String>, k: &str| q.iter().any(|kv| kv.starts_with(&format!("{k}=")));
    for (k, v) in [("status%5B0%5D", "any"), ("dp", "2"), ("context", "view")] {
        let given = if k.starts_with("status") { has(query, "status") } else { has(query, k) };
        if !given {
            query.push(format!("{k}={v}"));
        }
    }
}

/// Authenticates, reads the JSON body (if any) and answers what `act` decides.
pub(crate) async fn handle(
    ctx: &Ctx,
    request: Request,
    act: impl FnOnce(&mut State, Value) -> Result<(StatusCode, Value), crate::woo_order_writes::WooRefusal>,
) -> Response {
    if let Err(r) = authenticate(ctx, &request) {
        return r;
    }
    let bytes = axum::body::to_bytes(request.into_body(), 8 << 20).await.unwrap_or_default();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(_) => return wc_error(StatusCode::BAD_REQUEST, "rest_invalid_json", "Invalid JSON body passed."),
        }
    };
    match act(&mut lock(&ctx.state), body) {
        Ok((status, value)) => (status, Json(value)).into_response(),
        Err((status, code, message, data)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, Json(json!({ "code": code, "message": message, "data": data }))).into_response()
        }
    }
}

async fn list_webhooks(axum::extract::State(ctx): Axum<Ctx>, request: Request) -> Response {
    let home = lock(&ctx.home_url).clone();
    list(&ctx, &request, |s, _| s.extra.list_webhooks(&home))
}

/// Creating a webhook pings its delivery URL at once (unsigned form body); a failed ping
/// does not stop the creation.
async fn create_webhook(axum::extract::State(ctx): Axum<Ctx>, request: Request) -> Response {
    let (ctx2, home) = (ctx.clone(), lock(&ctx.home_url).clone());
    let response =
        handle(&ctx, request, |s, body| s.extra.create_webhook(&body, &home).map(|h| (StatusCode::CREATED, h))).await;
    if response.status() == StatusCode::CREATED {
        let hooks = lock(&ctx2.state).extra.webhooks.clone();
        if let Some(hook) = hooks.last() {
            let (url, id) =
                (hook["delivery_url"].as_str().unwrap_or_default().to_owned(), hook["id"].as_u64().unwrap_or(0));
            let _ = tokio::task::spawn_blocking(move || crate::webhooks::ping(&url, id)).await;
        }
    }
    response
}

async fn get_webhook(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = lock(&ctx.home_url).clone();
    handle(&ctx, request, |s, _| s.extra.webhook(id, &home).map(|h| (StatusCode::OK, h))).await
}

async fn update_webhook(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = lock(&ctx.home_url).clone();
    handle(&ctx, request, |s, body| s.extra.update_webhook(id, &body, &home).map(|h| (StatusCode::OK, h))).await
}

/// Webhooks are never trashed: deleting one needs `force=true`.
async fn delete_webhook(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let query = query_pairs(request.uri().query().unwrap_or(""));
    let force = query.iter().any(|(k, v)| k == "force" && (v == "true" || v == "1"));
    let home = lock(&ctx.home_url).clone();
    handle(&ctx, request, |s, _| s.extra.delete_webhook(id, force, &home).map(|h| (StatusCode::OK, h))).await
}
