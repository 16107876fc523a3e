//! The WooCommerce stand-in, behaving like the real 10.0.2 store recorded in
//! `shared/specs/woocommerce/real-10.0.2`: over plain HTTP only OAuth 1.0a authenticates
//! (Basic is ignored), over HTTPS Basic and query-string keys too; keys work only on
//! `/wp-json/wc/` URLs; paging with
//! `X-WP-Total`/`X-WP-TotalPages` and a `Link` header that echoes the request's query;
//! `per_page` above 100 refused; SKU search exact and covering variations.

use crate::oauth1_verify::{REQUIRED, TIMESTAMP_WINDOW_SECS, expected_signature, header_params};
use crate::seed::Item;
use crate::{WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET, lock};
use axum::extract::{Path, Request, State as Axum};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct State {
    /// Off: the store uses "Plain" permalinks, so /wp-json/ is WordPress's HTML 404 page.
    pub pretty_permalinks: bool,
    pub products: Vec<Value>,
    pub orders: Vec<Value>,
    pub writes: crate::woo_order_writes::OrderWrites,
    pub extra: crate::woo_catalog_extra::Extra,
    next_id: u64,
    nonces: HashMap<(String, String), Instant>,
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
                        "stock_quantity": item.stock / 2, "status": "publish" })
            })
            .collect();
        products.extend(variations(catalog));
        let orders = crate::seed::orders(catalog, orders).iter().map(|spec| crate::woo_orders::build(spec).0).collect();
        let mut state = State {
            pretty_permalinks: true,
            next_id: 100 + catalog.len() as u64,
            products,
            orders,
            writes: Default::default(),
            extra: crate::woo_catalog_extra::Extra::seeded(),
            nonces: HashMap::new(),
        };
        state.seed_refunds(refunds);
        state
    }

    /// Partial refunds made in the store: one unit of the first line of every few paid orders.
    fn seed_refunds(&mut self, count: usize) {
        let paid: Vec<u64> = self
            .orders
            .iter()
            .filter(|o| o["status"] == "processing" || o["status"] == "completed")
            .filter_map(|o| o["id"].as_u64())
            .collect();
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
fn variations(catalog: &[Item]) -> Vec<Value> {
    catalog
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 20 == 5)
        .flat_map(|(i, item)| {
            [
                json!({ "id": 20_000 + i, "type": "variable", "parent_id": 0, "name": crate::woo_text::stored_name(&format!("{} (varianter)", item.description)),
                        "sku": "", "status": "publish" }),
                json!({ "id": 30_000 + i, "type": "variation", "parent_id": 20_000 + i, "sku": item.sku,
                        "regular_price": "", "manage_stock": false, "stock_quantity": null, "status": "publish" }),
            ]
        })
        .collect()
}

#[derive(Clone)]
struct Ctx {
    state: Arc<Mutex<State>>,
    home_url: Arc<Mutex<String>>,
}

pub fn router(state: Arc<Mutex<State>>, home_url: Arc<Mutex<String>>) -> Router {
    let ctx = Ctx { state, home_url };
    Router::new()
        .route("/wp-json/wc/v3/products", get(list_products))
        .route("/wp-json/wc/v3/products/batch", post(batch_products))
        .route("/wp-json/wc/v3/products/{id}", get(get_product))
        .route("/wp-json/wc/v3/orders", get(list_orders))
        .route("/wp-json/wc/v3/customers", get(list_customers))
        .route("/wp-json/wc/v3/products/{id}/variations", get(list_variations))
        .route("/wp-json/wc/v3/products/{id}/variations/batch", post(batch_variations))
        .route("/wp-json/wc/v3/webhooks", get(list_webhooks).post(create_webhook))
        .route("/wp-json/wc/v3/webhooks/{id}", get(get_webhook).put(update_webhook).delete(delete_webhook))
        .route("/wp-json/wc/v3/orders/{id}", get(get_order).put(update_order))
        .route("/wp-json/wc/v3/orders/{id}/notes", get(list_notes).post(add_note))
        .route("/wp-json/wc/v3/orders/{id}/refunds", get(list_refunds).post(add_refund))
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
    }
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

async fn list_products(axum::extract::State(ctx): Axum<Ctx>, request: Request) -> Response {
    list(&ctx, &request, |s, param| {
        let skus: Option<Vec<String>> = param("sku").map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
        s.products
            .iter()
            .filter(|p| match &skus {
                // An exact SKU search also finds variations.
                Some(list) => list.iter().any(|sku| p["sku"] == sku.as_str()),
                None => p["type"] != "variation",
            })
            .cloned()
            .collect()
    })
}

async fn list_orders(axum::extract::State(ctx): Axum<Ctx>, request: Request) -> Response {
    list(&ctx, &request, |s, param| {
        let statuses: Option<Vec<String>> = param("status").map(|v| v.split(',').map(str::to_owned).collect());
        // Bounds are exclusive; with dates_are_gmt they compare against the GMT column.
        let after = param("modified_after");
        let mut orders: Vec<Value> = s
            .orders
            .iter()
            .filter(|o| {
                statuses.as_ref().is_none_or(|list| list.iter().any(|st| st == "any" || o["status"] == st.as_str()))
            })
            .filter(|o| after.as_ref().is_none_or(|a| o["date_modified_gmt"].as_str().unwrap_or("") > a.as_str()))
            .cloned()
            .collect();
        if param("orderby").as_deref() == Some("modified") {
            orders.sort_by(|a, b| {
                (a["date_modified_gmt"].as_str(), a["id"].as_u64())
                    .cmp(&(b["date_modified_gmt"].as_str(), b["id"].as_u64()))
            });
        }
        if param("order").as_deref() != Some("asc") {
            orders.reverse();
        }
        orders
    })
}

type Param<'a> = &'a dyn Fn(&str) -> Option<String>;

/// An authenticated, paged list: `per_page` 1..=100, `X-WP-Total(Pages)`, and a `Link`
/// header that repeats the request's query.
fn list(ctx: &Ctx, request: &Request, select: impl FnOnce(&State, Param<'_>) -> Vec<Value>) -> Response {
    if let Err(r) = authenticate(ctx, request) {
        return r;
    }
    let raw_query = request.uri().query().unwrap_or("").to_owned();
    let query = query_pairs(&raw_query);
    let param = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let per_page: i64 = param("per_page").and_then(|v| v.parse().ok()).unwrap_or(10);
    let page: i64 = param("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    if !(1..=100).contains(&per_page) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
                         "data": { "status": 400, "params": { "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)" } } })),
        )
            .into_response();
    }
    let matching = select(&lock(&ctx.state), &param);
    let total = matching.len() as i64;
    let pages = (total + per_page - 1) / per_page;
    let items: Vec<Value> =
        matching.into_iter().skip(((page.max(1) - 1) * per_page) as usize).take(per_page as usize).collect();
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
    let with_page = |p: i64| {
        let rest: Vec<&str> = raw_query.split('&').filter(|kv| !kv.starts_with("page=") && !kv.is_empty()).collect();
        format!("<{home}{path}?{}&page={p}>", rest.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 && page <= pages + 1 {
        links.push(format!("{}; rel=\"prev\"", with_page(page - 1)));
    }
    if page < pages {
        links.push(format!("{}; rel=\"next\"", with_page(page + 1)));
    }
    (!links.is_empty()).then(|| HeaderValue::from_str(&links.join(", ")).ok()).flatten()
}

async fn get_product(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, _| {
        s.products.iter().find(|p| p["id"] == id).map(|p| (StatusCode::OK, p.clone())).ok_or_else(|| {
            (404, "woocommerce_rest_product_invalid_id", "Invalid ID.".to_owned(), json!({ "status": 404 }))
        })
    })
    .await
}

/// Fields a client may not write: WooCommerce computes or owns them.
const PRODUCT_READ_ONLY: [&str; 4] = ["price", "date_created", "date_modified", "permalink"];
const BATCH_LIMIT: usize = 100;

fn item_error(id: u64, code: &str, message: &str, data: Value) -> Value {
    json!({ "id": id, "error": { "code": code, "message": message, "data": data } })
}

impl State {
    /// The product that owns `sku`, products and variations alike (SKUs are unique across both).
    fn owner_of(&self, sku: &str, except: Option<u64>) -> Option<u64> {
        self.products
            .iter()
            .find(|p| p["sku"] == sku && Some(p["id"].as_u64().unwrap_or(0)) != except)
            .and_then(|p| p["id"].as_u64())
    }

    fn create(&mut self, body: &Value) -> Value {
        let sku = body["sku"].as_str().unwrap_or("").to_owned();
        if !sku.is_empty()
            && let Some(owner) = self.owner_of(&sku, None)
        {
            return item_error(
                0,
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
                json!({ "status": 400, "resource_id": owner, "unique_sku": format!("{sku}-1") }),
            );
        }
        let mut product = json!({ "type": "simple", "parent_id": 0, "status": "publish", "manage_stock": false,
                                  "stock_quantity": null, "regular_price": "", "sku": sku });
        merge(&mut product, body);
        product["id"] = json!(self.next_id);
        self.next_id += 1;
        self.products.push(product.clone());
        product
    }

    fn update(&mut self, body: &Value) -> Value {
        let id = body["id"].as_u64().unwrap_or(0);
        if let Some(sku) = body["sku"].as_str().filter(|s| !s.is_empty())
            && let Some(owner) = self.owner_of(sku, Some(id))
        {
            return item_error(
                id,
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
                json!({ "status": 400, "resource_id": owner, "unique_sku": format!("{sku}-1") }),
            );
        }
        match self.products.iter_mut().find(|p| p["id"] == id) {
            Some(product) => {
                merge(product, body);
                // Stock is only taken while stock is managed, silently (as WooCommerce does).
                if product["manage_stock"] != true {
                    product["stock_quantity"] = Value::Null;
                }
                product.clone()
            }
            None => item_error(id, "woocommerce_rest_product_invalid_id", "Invalid ID.", json!({ "status": 400 })),
        }
    }

    fn delete(&mut self, id: u64) -> Value {
        match self.products.iter().position(|p| p["id"] == id) {
            Some(i) => self.products.remove(i),
            None => item_error(id, "woocommerce_rest_product_invalid_id", "Invalid ID.", json!({ "status": 404 })),
        }
    }
}

/// Writes `body`'s fields into `product`; the name is stored the way WordPress stores it.
fn merge(product: &mut Value, body: &Value) {
    if let (Some(target), Some(fields)) = (product.as_object_mut(), body.as_object()) {
        for (k, v) in fields {
            if !PRODUCT_READ_ONLY.contains(&k.as_str()) {
                let v = match (k.as_str(), v) {
                    ("name", Value::String(name)) => Value::from(crate::woo_text::stored_name(name)),
                    _ => v.clone(),
                };
                target.insert(k.clone(), v);
            }
        }
    }
}

/// `POST /products/batch`: HTTP 200 whatever happens to the items; each failed item comes
/// back in its place with an `error` object; more than 100 items in all is refused.
async fn batch_products(axum::extract::State(ctx): Axum<Ctx>, request: Request) -> Response {
    handle(&ctx, request, |s, body| batch(s, &body, None)).await
}

async fn batch_variations(axum::extract::State(ctx): Axum<Ctx>, Path(parent): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, body| {
        if !s.products.iter().any(|p| p["id"] == parent && p["type"] == "variable") {
            return Err((404, "woocommerce_rest_product_invalid_id", "Invalid ID.".into(), json!({ "status": 404 })));
        }
        batch(s, &body, Some(parent))
    })
    .await
}

/// Creates, updates and deletes in one call; variations of `parent` when given.
fn batch(
    s: &mut State,
    body: &Value,
    parent: Option<u64>,
) -> Result<(StatusCode, Value), crate::woo_order_writes::WooRefusal> {
    let list = |k: &str| body.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let (create, update, delete) = (list("create"), list("update"), list("delete"));
    if create.len() + update.len() + delete.len() > BATCH_LIMIT {
        return Err((
            413,
            "woocommerce_rest_request_entity_too_large",
            format!("Unable to accept more than {BATCH_LIMIT} items for this request."),
            json!({ "status": 413 }),
        ));
    }
    let as_variation = |p: &Value| {
        let mut p = p.clone();
        if let (Some(parent), Some(o)) = (parent, p.as_object_mut()) {
            o.insert("type".into(), json!("variation"));
            o.insert("parent_id".into(), json!(parent));
        }
        p
    };
    let mut answer = serde_json::Map::new();
    if body.get("create").is_some() {
        answer.insert("create".into(), Value::Array(create.iter().map(|p| s.create(&as_variation(p))).collect()));
    }
    if body.get("update").is_some() {
        answer.insert("update".into(), Value::Array(update.iter().map(|p| s.update(p)).collect()));
    }
    if body.get("delete").is_some() {
        answer.insert(
            "delete".into(),
            Value::Array(delete.iter().map(|id| s.delete(id.as_u64().unwrap_or(0))).collect()),
        );
    }
    Ok((StatusCode::OK, Value::Object(answer)))
}

/// Authenticates, reads the JSON body (if any) and answers what `act` decides.
async fn handle(
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

fn order_missing() -> crate::woo_order_writes::WooRefusal {
    (404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.".into(), json!({ "status": 404 }))
}

async fn get_order(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, _| {
        s.orders.iter().find(|o| o["id"] == id).map(|o| (StatusCode::OK, o.clone())).ok_or_else(order_missing)
    })
    .await
}

async fn update_order(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, body| {
        let State { orders, writes, .. } = s;
        writes.update(orders, id, &body).map(|o| (StatusCode::OK, o))
    })
    .await
}

async fn add_note(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, body| {
        let State { orders, writes, .. } = s;
        writes.add_note(orders, id, &body).map(|n| (StatusCode::CREATED, n))
    })
    .await
}

async fn list_notes(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, _| Ok((StatusCode::OK, newest_first(s.writes.notes.get(&id))))).await
}

async fn add_refund(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, body| {
        let State { orders, writes, .. } = s;
        writes.refund(orders, id, &body).map(|r| (StatusCode::CREATED, r))
    })
    .await
}

async fn list_refunds(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, _| Ok((StatusCode::OK, newest_first(s.writes.refunds.get(&id))))).await
}

async fn list_customers(axum::extract::State(ctx): Axum<Ctx>, request: Request) -> Response {
    // The email filter is exact; customers have no date filters. Without `role` only
    // role `customer` is listed; `role=all` lists every user (exchanges 84, 85).
    list(&ctx, &request, |s, param| {
        let email = param("email");
        let role = param("role").unwrap_or_else(|| "customer".into());
        s.extra
            .customers
            .iter()
            .filter(|c| email.as_ref().is_none_or(|e| c["email"] == e.as_str()))
            .filter(|c| role == "all" || c["role"] == role.as_str())
            .cloned()
            .collect()
    })
}

async fn list_variations(axum::extract::State(ctx): Axum<Ctx>, Path(parent): Path<u64>, request: Request) -> Response {
    list(&ctx, &request, |s, _| {
        s.products.iter().filter(|p| p["type"] == "variation" && p["parent_id"] == parent).cloned().collect()
    })
}

async fn list_webhooks(axum::extract::State(ctx): Axum<Ctx>, request: Request) -> Response {
    list(&ctx, &request, |s, _| s.extra.list_webhooks())
}

/// Creating a webhook pings its delivery URL at once (unsigned form body); a failed ping
/// does not stop the creation.
async fn create_webhook(axum::extract::State(ctx): Axum<Ctx>, request: Request) -> Response {
    let ctx2 = ctx.clone();
    let response =
        handle(&ctx, request, |s, body| s.extra.create_webhook(&body).map(|h| (StatusCode::CREATED, h))).await;
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

async fn update_webhook(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, body| s.extra.update_webhook(id, &body).map(|h| (StatusCode::OK, h))).await
}

async fn get_webhook(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    handle(&ctx, request, |s, _| s.extra.webhook(id).map(|h| (StatusCode::OK, h))).await
}

/// Webhooks are never trashed: deleting one needs `force=true`.
async fn delete_webhook(axum::extract::State(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let query = query_pairs(request.uri().query().unwrap_or(""));
    let force = query.iter().any(|(k, v)| k == "force" && (v == "true" || v == "1"));
    handle(&ctx, request, |s, _| s.extra.delete_webhook(id, force).map(|h| (StatusCode::OK, h))).await
}

/// A list as WooCommerce answers it: newest first.
fn newest_first(items: Option<&Vec<Value>>) -> Value {
    Value::Array(items.into_iter().flatten().rev().cloned().collect())
}
