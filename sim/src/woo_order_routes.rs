//! The order routes of the WooCommerce stand-in: orders (create, list with
//! `modified_after`, read, update), notes (no paging headers, newest first), refunds
//! (per order and store-wide, paged; a refund restocks unless told not to) and coupons.
//! Every answer goes through `woo_order_view`, so it has the real store's fields.

use crate::woo::{Ctx, State, handle, list, list_shown};
use crate::woo_order_view as view;
use crate::woo_order_writes::WooRefusal;
use axum::Json;
use axum::extract::{Path, Request, State as Axum};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::borrow::Cow;

fn home(ctx: &Ctx) -> String {
    crate::lock(&ctx.home_url).clone()
}

fn order_missing() -> WooRefusal {
    (404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.".into(), json!({ "status": 404 }))
}

/// `modified_after` and friends must be RFC 3339 dates, as the route's schema says (53).
fn invalid_date(name: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "code": "rest_invalid_param", "message": format!("Invalid parameter(s): {name}"),
                     "data": { "status": 400, "params": { name: "Invalid date." },
                               "details": { name: { "code": "rest_invalid_date", "message": "Invalid date.", "data": null } } } })),
    )
        .into_response()
}

fn is_date(v: &str) -> bool {
    let v = v.trim_end_matches('Z');
    let v = v.split(['+']).next().unwrap_or(v);
    chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S").is_ok()
}

pub(crate) async fn list_orders(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
    let query = request.uri().query().unwrap_or("").to_owned();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if matches!(k.as_ref(), "modified_after" | "modified_before" | "after" | "before") && !is_date(&v) {
            return invalid_date(&k);
        }
    }
    let home = home(&ctx);
    list_shown(
        &ctx,
        &request,
        |s, param| {
            let statuses: Option<Vec<String>> = param("status").map(|v| v.split(',').map(str::to_owned).collect());
            // Bounds are exclusive; with dates_are_gmt they compare against the GMT column.
            let after = param("modified_after");
            let mut orders: Vec<&Value> = s
                .orders
                .iter()
                .filter(|o| {
                    statuses.as_ref().is_none_or(|list| list.iter().any(|st| st == "any" || o["status"] == st.as_str()))
                })
                .filter(|o| after.as_ref().is_none_or(|a| o["date_modified_gmt"].as_str().unwrap_or("") > a.as_str()))
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
            orders.into_iter().map(Cow::Borrowed).collect()
        },
        |_, o| view::order(o, &home),
    )
}

/// `POST /orders`; an `order.created` webhook is then delivered in the background, as
/// the store queues it (exchanges 67, 69).
pub(crate) async fn create_order(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
    let home = home(&ctx);
    let mut created = None;
    let response = handle(&ctx, request, |s, body| {
        let order = view::order(&s.create_order(&body), &home);
        created = Some((order.clone(), s.extra.webhooks.clone()));
        Ok((StatusCode::CREATED, order))
    })
    .await;
    if let Some((order, hooks)) = created {
        deliver_created(order, hooks, home);
    }
    response
}

fn deliver_created(order: Value, hooks: Vec<Value>, home: String) {
    let active: Vec<Value> =
        hooks.into_iter().filter(|h| h["status"] == "active" && h["topic"] == "order.created").collect();
    if active.is_empty() {
        return;
    }
    std::thread::spawn(move || {
        for hook in active {
            let delivery = crate::webhooks::Delivery {
                delivery_url: hook["delivery_url"].as_str().unwrap_or_default(),
                secret: hook["secret"].as_str().unwrap_or_default(),
                webhook_id: hook["id"].as_u64().unwrap_or(0),
                topic: "order.created",
                body: &order,
                source: &home,
            };
            let _ = crate::webhooks::deliver(&delivery);
        }
    });
}

pub(crate) async fn get_order(Axum(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, _| {
        let order = s.orders.iter().find(|o| o["id"] == id).ok_or_else(order_missing)?;
        Ok((StatusCode::OK, view::order(order, &home)))
    })
    .await
}

pub(crate) async fn update_order(Axum(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| {
        let State { orders, writes, .. } = s;
        writes.update(orders, id, &body).map(|o| (StatusCode::OK, view::order(&o, &home)))
    })
    .await
}

pub(crate) async fn add_note(Axum(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| {
        let State { orders, writes, .. } = s;
        writes.add_note(orders, id, &body).map(|n| (StatusCode::CREATED, view::note(&n, id, &home)))
    })
    .await
}

/// Newest first; notes of the same second in the order they were made (exchange 60).
pub(crate) async fn list_notes(Axum(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, _| {
        if !s.orders.iter().any(|o| o["id"] == id) {
            return Err(order_missing());
        }
        let mut notes: Vec<&Value> = s.writes.notes.get(&id).into_iter().flatten().collect();
        notes.sort_by(|a, b| {
            let date = |n: &Value| n["date_created_gmt"].as_str().unwrap_or("").to_owned();
            date(b).cmp(&date(a)).then(a["id"].as_u64().cmp(&b["id"].as_u64()))
        });
        Ok((StatusCode::OK, notes.into_iter().map(|n| view::note(n, id, &home)).collect()))
    })
    .await
}

pub(crate) async fn add_refund(Axum(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| {
        let refund = {
            let State { orders, writes, .. } = &mut *s;
            writes.refund(orders, id, &body)?
        };
        s.restock(id, &refund, &body);
        Ok((StatusCode::CREATED, view::refund(&refund, id, &home, false)))
    })
    .await
}

pub(crate) async fn list_refunds(Axum(ctx): Axum<Ctx>, Path(id): Path<u64>, request: Request) -> Response {
    let home = home(&ctx);
    list(&ctx, &request, |s, _| {
        s.writes.refunds.get(&id).into_iter().flatten().rev().map(|r| view::refund(r, id, &home, false)).collect()
    })
}

/// `GET /refunds`: every order's refunds, newest first, each naming its order.
pub(crate) async fn all_refunds(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
    let home = home(&ctx);
    list(&ctx, &request, |s, _| {
        let mut all: Vec<(u64, &Value)> =
            s.writes.refunds.iter().flat_map(|(order, list)| list.iter().map(move |r| (*order, r))).collect();
        all.sort_by_key(|(_, r)| std::cmp::Reverse(r["id"].as_u64()));
        all.into_iter().map(|(order, r)| view::refund(r, order, &home, true)).collect()
    })
}

/// `POST /coupons` (exchange 47): the code is stored lowercased.
pub(crate) async fn create_coupon(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
    let home = home(&ctx);
    handle(&ctx, request, |s, body| {
        let id = s.fresh_id();
        let now = crate::woo_order_writes::now_gmt();
        let local = crate::woo_catalog_extra::local_time(&now);
        let amount: f64 = body["amount"].as_str().and_then(|a| a.parse().ok()).or(body["amount"].as_f64()).unwrap_or(0.0);
        let coupon = json!({
            "id": id, "code": body["code"].as_str().unwrap_or("").to_lowercase(), "amount": format!("{amount:.2}"),
            "status": "publish", "date_created": local, "date_created_gmt": now, "date_modified": local,
            "date_modified_gmt": now, "discount_type": body.get("discount_type").cloned().unwrap_or(json!("fixed_cart")),
            "description": body.get("description").cloned().unwrap_or(json!("")), "date_expires": null,
            "date_expires_gmt": null, "usage_count": 0,
            "individual_use": body.get("individual_use").cloned().unwrap_or(json!(false)), "product_ids": [],
            "excluded_product_ids": [], "usage_limit": null, "usage_limit_per_user": null,
            "limit_usage_to_x_items": null, "free_shipping": false, "product_categories": [],
            "excluded_product_categories": [], "exclude_sale_items": false, "minimum_amount": "0.00",
            "maximum_amount": "0.00", "email_restrictions": [], "used_by": [], "meta_data": [],
            "_links": { "self": [{ "href": format!("{home}/wp-json/wc/v3/coupons/{id}"),
                                   "targetHints": { "allow": ["GET", "POST", "PUT", "PATCH", "DELETE"] } }],
                        "collection": [{ "href": format!("{home}/wp-json/wc/v3/coupons") }] }
        });
        s.coupons.push(coupon.clone());
        Ok((StatusCode::CREATED, coupon))
    })
    .await
}
