//! WooCommerce customers in the stand-in, as the real 10.0.2 store answers them
//! (exchanges 45, 46, 84, 85): created with a unique email, names stored as WordPress
//! stores them (`Fika &amp; Co`) while billing and shipping stay as typed, listed by
//! display name, role `customer` only unless `role` says otherwise (`all`: every user).

use crate::woo::{Ctx, handle, list_shown};
use crate::woo_order_writes::WooRefusal;
use crate::woo_text::stored_name;
use axum::extract::{Request, State as Axum};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::borrow::Cow;

const ADDRESS: [&str; 10] =
    ["first_name", "last_name", "company", "address_1", "address_2", "city", "postcode", "country", "state", "phone"];

/// An address with every field the store returns, empty where not given.
fn address(given: &Value, with_email: bool) -> Value {
    let mut a = Map::new();
    for k in ADDRESS.iter().copied().chain(with_email.then_some("email")) {
        a.insert(k.into(), given.get(k).cloned().unwrap_or(json!("")));
    }
    Value::Object(a)
}

/// A stored customer (as little as the seed keeps) with every field the store returns.
pub fn view(stored: &Value, home: &str) -> Value {
    let id = stored["id"].as_u64().unwrap_or(0);
    let admin = stored["role"] == "administrator";
    let date = |k: &str, default: Value| stored.get(k).cloned().unwrap_or(default);
    let allow =
        if admin { json!(["GET", "POST", "PUT", "PATCH"]) } else { json!(["GET", "POST", "PUT", "PATCH", "DELETE"]) };
    json!({
        "id": id, "date_created": date("date_created", json!("2026-11-26T18:56:25")),
        "date_created_gmt": date("date_created_gmt", json!("2026-11-26T17:56:25")),
        // The administrator was never saved as a customer: no modification date (exchange 85).
        "date_modified": if admin { Value::Null } else { date("date_modified", json!("2026-11-26T18:56:25")) },
        "date_modified_gmt": if admin { Value::Null } else { date("date_modified_gmt", json!("2026-11-26T17:56:25")) },
        "email": stored["email"], "first_name": stored["first_name"], "last_name": stored["last_name"],
        "role": stored["role"], "username": stored["username"],
        "billing": address(&stored["billing"], true), "shipping": address(&stored["shipping"], false),
        "is_paying_customer": stored.get("is_paying_customer").cloned().unwrap_or(json!(false)),
        "avatar_url": "https://secure.gravatar.com/avatar/?s=96&d=mm&r=g",
        "meta_data": stored.get("meta_data").cloned().unwrap_or(json!([])),
        "_links": { "self": [{ "href": format!("{home}/wp-json/wc/v3/customers/{id}"), "targetHints": { "allow": allow } }],
                    "collection": [{ "href": format!("{home}/wp-json/wc/v3/customers") }] }
    })
}

/// `POST /customers`: the email must be new; WordPress adds its password nag meta.
fn add(customers: &mut Vec<Value>, body: &Value) -> Result<Value, WooRefusal> {
    let email = body["email"].as_str().unwrap_or("").to_owned();
    if customers.iter().any(|c| c["email"] == email.as_str()) {
        return Err((
            400,
            "registration-error-email-exists",
            format!("An account is already registered with {email}. Please log in or use a different email address."),
            json!({ "status": 400 }),
        ));
    }
    let id = customers.iter().filter_map(|c| c["id"].as_u64()).max().unwrap_or(0) + 1;
    let now = crate::woo_order_writes::now_gmt();
    let name = |k: &str| json!(stored_name(body[k].as_str().unwrap_or("")));
    let customer = json!({
        "id": id, "email": email, "first_name": name("first_name"), "last_name": name("last_name"),
        "role": "customer", "username": body.get("username").cloned().unwrap_or(json!(email)),
        "billing": body.get("billing").cloned().unwrap_or(json!({})),
        "shipping": body.get("shipping").cloned().unwrap_or(json!({})),
        "date_created_gmt": now, "date_modified_gmt": now,
        "meta_data": [{ "id": 30 + id, "key": "default_password_nag", "value": "1" }]
    });
    customers.push(customer.clone());
    Ok(customer)
}

pub(crate) async fn create_customer(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
    let home = crate::lock(&ctx.home_url).clone();
    handle(&ctx, request, |s, body| {
        let c = add(&mut s.extra.customers, &body)?;
        Ok((StatusCode::CREATED, view(&c, &home)))
    })
    .await
}

/// The email filter is exact. Without `role` only role `customer` is listed; `role=all`
/// lists every user (exchanges 84, 85), ordered by display name (the user name here).
pub(crate) async fn list_customers(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
    let home = crate::lock(&ctx.home_url).clone();
    list_shown(
        &ctx,
        &request,
        |s, param| {
            let email = param("email");
            let role = param("role").unwrap_or_else(|| "customer".into());
            let mut found: Vec<&Value> = s
                .extra
                .customers
                .iter()
                .filter(|c| email.as_ref().is_none_or(|e| c["email"] == e.as_str()))
                .filter(|c| role == "all" || c["role"] == role.as_str())
                .collect();
            found.sort_by_key(|c| c["username"].as_str().unwrap_or("").to_owned());
            found.into_iter().map(Cow::Borrowed).collect()
        },
        |_, c| view(c, &home),
    )
}
