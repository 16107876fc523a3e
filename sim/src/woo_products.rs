//! Products and variations in the WooCommerce stand-in, as the real 10.0.2 store handles
//! them: single and batch writes, SKUs unique across products and variations (a duplicate
//! names its owner), per-item batch errors under HTTP 200, `stock_quantity` an integer,
//! `tax_class` kept as sent without touching the price, and the lists: parents only
//! newest first, `sku=` an exact match or comma list that also finds variations,
//! `type=`, `include=` and a `search` that looks at names, never SKUs.

use crate::woo::{Ctx, State, handle, list_shown};
use crate::woo_order_writes::WooRefusal;
use crate::woo_product_view as view;
use axum::extract::{Path, Request, State as Axum};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

/// Fields a client may not write: WooCommerce computes or owns them.
const PRODUCT_READ_ONLY: [&str; 5] = ["id", "price", "date_created", "date_modified", "permalink"];
const BATCH_LIMIT: usize = 100;

fn item_error(id: u64, (_, code, message, data): WooRefusal) -> Value {
    json!({ "id": id, "error": { "code": code, "message": message, "data": data } })
}

fn invalid_id(status: u16) -> WooRefusal {
    (status, "woocommerce_rest_product_invalid_id", "Invalid ID.".into(), json!({ "status": status }))
}

/// `stock_quantity` must be an integer (or a string of one), as the route's schema says.
fn check_stock(body: &Value) -> Result<(), WooRefusal> {
    let ok = match body.get("stock_quantity") {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => n.is_i64() || n.is_u64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().is_ok(),
        Some(_) => false,
    };
    if ok {
        return Ok(());
    }
    let message = "stock_quantity is not of type integer.";
    Err((
        400,
        "rest_invalid_param",
        "Invalid parameter(s): stock_quantity".into(),
        json!({ "status": 400, "params": { "stock_quantity": message },
                "details": { "stock_quantity": { "code": "rest_invalid_type", "message": message,
                                                 "data": { "param": "stock_quantity" } } } }),
    ))
}

fn duplicate_sku(sku: &str, owner: u64) -> WooRefusal {
    (
        400,
        "product_invalid_sku",
        "Invalid or duplicated SKU.".into(),
        json!({ "status": 400, "resource_id": owner, "unique_sku": format!("{sku}-1") }),
    )
}

/// Writes `body`'s fields into `product`; the name is stored the way WordPress stores it.
fn merge(product: &mut Value, body: &Value) {
    if let (Some(target), Some(fields)) = (product.as_object_mut(), body.as_object()) {
        for (k, v) in fields {
            if !PRODUCT_READ_ONLY.contains(&k.as_str()) {
                let v = match (k.as_str(), v) {
                    ("name", Value::String(name)) => Value::from(crate::woo_text::stored_name(name)),
                    ("stock_quantity", Value::String(n)) => json!(n.trim().parse::<i64>().unwrap_or(0)),
                    _ => v.clone(),
                };
                target.insert(k.clone(), v);
            }
        }
    }
}

/// See [`State::index`].
#[derive(Default)]
struct Index {
    /// The products and variations with each SKU (one, but for data a test planted).
    owners: HashMap<String, Vec<u64>>,
    places: HashMap<u64, usize>,
}

impl Index {
    /// The product or variation that owns `sku`, other than `except` (SKUs are unique
    /// across both).
    fn owner(&self, sku: &str, except: Option<u64>) -> Option<u64> {
        let owners = self.owners.get(sku).filter(|_| !sku.is_empty())?;
        owners.iter().copied().find(|owner| Some(*owner) != except)
    }
}

impl State {
    pub(crate) fn create_product(&mut self, body: &Value) -> Result<Value, WooRefusal> {
        self.create_indexed(body, &mut self.index())
    }

    pub(crate) fn update_product(&mut self, id: u64, body: &Value) -> Result<Value, WooRefusal> {
        self.update_indexed(id, body, &mut self.index())
    }

    /// Each SKU's owner and each id's place, in one pass: a batch of 100 then costs one
    /// pass over the store, not a hundred (a real store indexes both).
    fn index(&self) -> Index {
        let mut index = Index::default();
        for (at, p) in self.products.iter().enumerate() {
            let id = p["id"].as_u64().unwrap_or(0);
            if let Some(sku) = p["sku"].as_str().filter(|s| !s.is_empty()) {
                index.owners.entry(sku.to_owned()).or_default().push(id);
            }
            // Should data a test planted repeat an id, the first, as a scan finds it.
            index.places.entry(id).or_insert(at);
        }
        index
    }

    fn create_indexed(&mut self, body: &Value, index: &mut Index) -> Result<Value, WooRefusal> {
        check_stock(body)?;
        let sku = body["sku"].as_str().unwrap_or("").to_owned();
        if let Some(owner) = index.owner(&sku, None) {
            return Err(duplicate_sku(&sku, owner));
        }
        let mut product = json!({ "type": "simple", "parent_id": 0, "status": "publish", "manage_stock": false,
                                  "stock_quantity": null, "regular_price": "", "sku": sku });
        merge(&mut product, body);
        if product["manage_stock"] != true {
            product["stock_quantity"] = Value::Null;
        }
        let id = self.fresh_id();
        product["id"] = json!(id);
        index.places.insert(id, self.products.len());
        if !sku.is_empty() {
            index.owners.entry(sku).or_default().push(id);
        }
        self.products.push(product.clone());
        Ok(product)
    }

    fn update_indexed(&mut self, id: u64, body: &Value, index: &mut Index) -> Result<Value, WooRefusal> {
        check_stock(body)?;
        let new_sku = body["sku"].as_str().filter(|s| !s.is_empty());
        if let Some(sku) = new_sku
            && let Some(owner) = index.owner(sku, Some(id))
        {
            return Err(duplicate_sku(sku, owner));
        }
        let at = *index.places.get(&id).ok_or_else(|| invalid_id(400))?;
        let product = &mut self.products[at];
        let old_sku = product["sku"].as_str().unwrap_or("").to_owned();
        merge(product, body);
        // Stock is only taken while stock is managed, silently (as WooCommerce does).
        if product["manage_stock"] != true {
            product["stock_quantity"] = Value::Null;
        }
        if let Some(sku) = new_sku {
            if let Some(owners) = index.owners.get_mut(&old_sku) {
                owners.retain(|owner| *owner != id);
            }
            index.owners.entry(sku.to_owned()).or_default().push(id);
        }
        Ok(product.clone())
    }

    fn delete_product(&mut self, id: u64) -> Result<Value, WooRefusal> {
        let i = self.products.iter().position(|p| p["id"] == id).ok_or_else(|| invalid_id(404))?;
        Ok(self.products.remove(i))
    }

    fn stored(&self, id: u64) -> Option<&Value> {
        self.products.get(self.place_of(id)?)
    }

    /// A stored product or variation as `/products` shows it.
    pub(crate) fn product_view(&self, stored: &Value, home: &str) -> Value {
        self.product_view_in(stored, home, &OnceCell::new())
    }

    /// As `product_view`; `family` keeps every parent's variations, found in one pass the
    /// first time a variable product is shown, for the rest of a list page.
    fn product_view_in(&self, stored: &Value, home: &str, family: &OnceCell<HashMap<u64, Vec<usize>>>) -> Value {
        let id = stored["id"].as_u64().unwrap_or(0);
        if stored["type"] == "variation" {
            let parent = self.stored(stored["parent_id"].as_u64().unwrap_or(0));
            return view::variation_as_product(stored, parent, home);
        }
        let children: Vec<&Value> = if stored["type"] == "variable" {
            let family = family.get_or_init(|| self.variations_by_parent());
            family.get(&id).into_iter().flatten().map(|&at| &self.products[at]).collect()
        } else {
            Vec::new()
        };
        view::product(stored, &children, home)
    }

    /// Each parent's variations (their places), in the store's order.
    fn variations_by_parent(&self) -> HashMap<u64, Vec<usize>> {
        let mut family: HashMap<u64, Vec<usize>> = HashMap::new();
        for (at, p) in self.products.iter().enumerate().filter(|(_, p)| p["type"] == "variation") {
            family.entry(p["parent_id"].as_u64().unwrap_or(0)).or_default().push(at);
        }
        family
    }

    fn variation_view(&self, stored: &Value, home: &str, written: bool) -> Value {
        view::variation(stored, self.stored(stored["parent_id"].as_u64().unwrap_or(0)), home, written)
    }

    /// A write's answer: the view plus the edit-context fields a write returns (exchange 19).
    fn written_view(&self, stored: &Value, home: &str) -> Value {
        let mut v = self.product_view(stored, home);
        if stored["type"] != "variation" {
            let slug = v["slug"].clone();
            v["permalink_template"] = json!(format!("{home}/produkt/%pagename%/"));
            v["generated_slug"] = slug;
        }
        v
    }

    fn parent_or_404(&self, parent: u64) -> Result<(), WooRefusal> {
        match self.stored(parent) {
            Some(p) if p["type"] == "variable" => Ok(()),
            _ => Err(invalid_id(404)),
        }
    }
}

fn home(ctx: &Ctx) -> String {
    crate::lock(&ctx.home_url).clone()
}

pub(crate) async fn list_products(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
    let home = home(&ctx);
    let family = OnceCell::new();
    list_shown(&ctx, &request, select_products, |s, p| s.product_view_in(p, &home, &family))
}

/// The products a list asks for, as stored, in the store's order.
fn select_products<'a>(s: &'a State, param: crate::woo::Param<'_>) -> Vec<Cow<'a, Value>> {
    // A set, so a search for 100 SKUs is one pass over the store (a real store indexes SKUs).
    let skus: Option<HashSet<String>> =
        param("sku").map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
    let kind = param("type");
    let search = param("search").map(|t| t.to_lowercase());
    // `include`: only these ids (a comma list).
    let include: Option<Vec<u64>> =
        param("include").map(|v| v.split(',').filter_map(|i| i.trim().parse().ok()).collect());
    let mut found: Vec<&Value> = s
        .products
        .iter()
        .filter(|p| match &skus {
            // An exact SKU search also finds variations.
            Some(set) => p["sku"].as_str().is_some_and(|sku| set.contains(sku)),
            None => p["type"] != "variation",
        })
        .filter(|p| kind.as_ref().is_none_or(|k| p["type"] == k.as_str()))
        .filter(|p| include.as_ref().is_none_or(|ids| p["id"].as_u64().is_some_and(|id| ids.contains(&id))))
        .filter(|p| search.as_ref().is_none_or(|t| p["name"].as_str().unwrap_or("").to_lowercase().contains(t)))
        .collect();
    // By date (here: as made) unless `orderby=id`; newest first unless `order=asc`.
    if param("orderby").as_deref() == Some("id") {
        found.sort_by_key(|p| p["id"].as_u64());
    }
    if param("order").as_deref() != Some("asc") {
        found.reverse();
    }
    found.into_iter().map(Cow::Borrowed).collect()
}

pub(crate) async fn get_product(Axum(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, _| {
        let p = s.stored(id).ok_or_else(|| invalid_id(404))?;
        Ok((StatusCode::OK, s.product_view(p, &home)))
    })
    .await
}

pub(crate) async fn create_product(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| {
        let p = s.create_product(&body)?;
        Ok((StatusCode::CREATED, s.written_view(&p, &home)))
    })
    .await
}

pub(crate) async fn update_product(Axum(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| {
        s.stored(id).ok_or_else(|| invalid_id(404))?;
        let p = s.update_product(id, &body)?;
        Ok((StatusCode::OK, s.written_view(&p, &home)))
    })
    .await
}

pub(crate) async fn list_variations(Axum(ctx): Axum<Ctx>, Path(parent): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    list_shown(
        &ctx,
        &request,
        |s, _| {
            let found = s.products.iter().filter(|p| p["type"] == "variation" && p["parent_id"] == parent);
            found.rev().map(Cow::Borrowed).collect()
        },
        |s, p| s.variation_view(p, &home, false),
    )
}

fn as_variation(body: &Value, parent: u64) -> Value {
    let mut p = body.clone();
    if let Some(o) = p.as_object_mut() {
        o.insert("type".into(), json!("variation"));
        o.insert("parent_id".into(), json!(parent));
    }
    p
}

pub(crate) async fn create_variation(Axum(ctx): Axum<Ctx>, Path(parent): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| {
        s.parent_or_404(parent)?;
        let v = s.create_product(&as_variation(&body, parent))?;
        Ok((StatusCode::CREATED, s.variation_view(&v, &home, true)))
    })
    .await
}

fn variation_of(s: &State, parent: u64, id: u64) -> Result<(), WooRefusal> {
    match s.stored(id) {
        Some(v) if v["type"] == "variation" && v["parent_id"] == parent => Ok(()),
        _ => {
            Err((404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.".into(), json!({ "status": 404 })))
        }
    }
}

pub(crate) async fn get_variation(
    Axum(ctx): Axum<Ctx>,
    Path((parent, id)): Path<(u64, u64)>,
    request: Request,
) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, _| {
        variation_of(s, parent, id)?;
        Ok((StatusCode::OK, s.variation_view(s.stored(id).expect("checked"), &home, false)))
    })
    .await
}

pub(crate) async fn update_variation(
    Axum(ctx): Axum<Ctx>,
    Path((parent, id)): Path<(u64, u64)>,
    request: Request,
) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| {
        variation_of(s, parent, id)?;
        let v = s.update_product(id, &body)?;
        Ok((StatusCode::OK, s.variation_view(&v, &home, true)))
    })
    .await
}

/// `POST /products/batch`: HTTP 200 whatever happens to the items; each failed item comes
/// back in its place with an `error` object; more than 100 items in all is refused.
pub(crate) async fn batch_products(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| batch(s, &body, None, &home)).await
}

pub(crate) async fn batch_variations(Axum(ctx): Axum<Ctx>, Path(parent): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| {
        s.parent_or_404(parent)?;
        batch(s, &body, Some(parent), &home)
    })
    .await
}

/// Creates, updates and deletes in one call; variations of `parent` when given.
fn batch(s: &mut State, body: &Value, parent: Option<u64>, home: &str) -> Result<(StatusCode, Value), WooRefusal> {
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
    let show = |s: &State, r: Result<Value, WooRefusal>, id: u64| match r {
        Ok(p) if parent.is_some() => s.variation_view(&p, home, true),
        Ok(p) => s.written_view(&p, home),
        Err(e) => item_error(id, e),
    };
    let mut answer = serde_json::Map::new();
    let mut index = s.index();
    if body.get("create").is_some() {
        let items = create
            .iter()
            .map(|p| {
                let body = parent.map_or_else(|| p.clone(), |parent| as_variation(p, parent));
                let r = s.create_indexed(&body, &mut index);
                show(s, r, 0)
            })
            .collect();
        answer.insert("create".into(), Value::Array(items));
    }
    if body.get("update").is_some() {
        let items = update
            .iter()
            .map(|p| {
                let id = p["id"].as_u64().unwrap_or(0);
                let r = s.update_indexed(id, p, &mut index);
                show(s, r, id)
            })
            .collect();
        answer.insert("update".into(), Value::Array(items));
    }
    if body.get("delete").is_some() {
        let items = delete
            .iter()
            .map(|id| {
                let id = id.as_u64().unwrap_or(0);
                let r = s.delete_product(id);
                show(s, r, id)
            })
            .collect();
        answer.insert("delete".into(), Value::Array(items));
    }
    // PHP encodes the empty array of an empty batch as a list.
    Ok((StatusCode::OK, if answer.is_empty() { json!([]) } else { Value::Object(answer) }))
}
