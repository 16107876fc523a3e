//! Products and variations as the real 10.0.2 store answers them (exchanges 19 to 25, 35,
//! 39 to 42, 82, 86 to 88): every field the store returns, filled from what the stand-in
//! stores (which may be as little as id, sku and price — tests push such products), with
//! what the store derives: `price` from the sale or regular price, `on_sale`,
//! `stock_status` from managed stock, a variable product's price and ids from its
//! variations. Prices stay as entered; `price_html` is only indicative.

use serde_json::{Map, Value, json};

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Fields every product answer has, with the store's defaults (exchange 19).
fn product_defaults() -> Value {
    serde_json::from_str(
        r#"{ "id": 0, "name": "", "slug": "", "permalink": "", "date_created": "2026-11-26T18:56:23",
        "date_created_gmt": "2026-11-26T17:56:23", "date_modified": "2026-11-26T18:56:23",
        "date_modified_gmt": "2026-11-26T17:56:23", "type": "simple", "status": "publish", "featured": false,
        "catalog_visibility": "visible", "description": "", "short_description": "", "sku": "", "price": "",
        "regular_price": "", "sale_price": "", "date_on_sale_from": null, "date_on_sale_from_gmt": null,
        "date_on_sale_to": null, "date_on_sale_to_gmt": null, "on_sale": false, "purchasable": true,
        "total_sales": 0, "virtual": false, "downloadable": false, "downloads": [], "download_limit": -1,
        "download_expiry": -1, "external_url": "", "button_text": "", "tax_status": "taxable", "tax_class": "",
        "manage_stock": false, "stock_quantity": null, "backorders": "no", "backorders_allowed": false,
        "backordered": false, "low_stock_amount": null, "sold_individually": false, "weight": "",
        "dimensions": { "length": "", "width": "", "height": "" }, "shipping_required": true,
        "shipping_taxable": true, "shipping_class": "", "shipping_class_id": 0, "reviews_allowed": true,
        "average_rating": "0", "rating_count": 0, "upsell_ids": [], "cross_sell_ids": [], "parent_id": 0,
        "purchase_note": "", "categories": [{ "id": 15, "name": "Uncategorized", "slug": "uncategorized" }],
        "brands": [], "tags": [], "images": [], "attributes": [], "default_attributes": [], "variations": [],
        "grouped_products": [], "menu_order": 0, "price_html": "", "related_ids": [], "meta_data": [],
        "stock_status": "instock", "has_options": false, "post_password": "", "global_unique_id": "" }"#,
    )
    .expect("defaults are JSON")
}

/// Fields every variation answer has (exchange 22).
fn variation_defaults() -> Value {
    serde_json::from_str(
        r#"{ "id": 0, "type": "variation", "date_created": "2026-11-26T18:56:23",
        "date_created_gmt": "2026-11-26T17:56:23", "date_modified": "2026-11-26T18:56:23",
        "date_modified_gmt": "2026-11-26T17:56:23", "description": "", "permalink": "", "sku": "",
        "global_unique_id": "", "price": "", "regular_price": "", "sale_price": "", "date_on_sale_from": null,
        "date_on_sale_from_gmt": null, "date_on_sale_to": null, "date_on_sale_to_gmt": null, "on_sale": false,
        "status": "publish", "purchasable": true, "virtual": false, "downloadable": false, "downloads": [],
        "download_limit": -1, "download_expiry": -1, "tax_status": "taxable", "tax_class": "parent",
        "manage_stock": false, "stock_quantity": null, "stock_status": "instock", "backorders": "no",
        "backorders_allowed": false, "backordered": false, "low_stock_amount": null, "weight": "",
        "dimensions": { "length": "", "width": "", "height": "" }, "shipping_class": "", "shipping_class_id": 0,
        "image": null, "attributes": [], "menu_order": 0, "meta_data": [], "name": "", "parent_id": 0 }"#,
    )
    .expect("defaults are JSON")
}

/// `defaults` overlaid with the stored fields that the answer has.
fn overlay(defaults: Value, stored: &Value) -> Map<String, Value> {
    let mut out = match defaults {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for (k, v) in stored.as_object().into_iter().flatten() {
        if out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// What the store derives from prices and stock, on a product or a variation.
fn derive_price_and_stock(p: &mut Map<String, Value>) {
    let (regular, sale) = (text(&p["regular_price"]).to_owned(), text(&p["sale_price"]).to_owned());
    let on_sale = !sale.is_empty();
    p.insert("price".into(), json!(if on_sale { sale } else { regular }));
    p.insert("on_sale".into(), json!(on_sale));
    if p["manage_stock"] == true {
        let left = p["stock_quantity"].as_i64().unwrap_or(0);
        p.insert("stock_status".into(), json!(if left > 0 { "instock" } else { "outofstock" }));
    } else {
        p.insert("stock_quantity".into(), Value::Null);
    }
}

/// A URL-ish slug of a name, as WordPress makes one (enough for the recorded names).
pub fn slug(name: &str) -> String {
    let plain = name.replace("&amp;", " ").replace("<b>", "").replace("</b>", "");
    let folded: String = plain
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'å' | 'ä' => 'a',
            'ö' => 'o',
            c if c.is_ascii_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join("-")
}

fn links(home: &str, own: &str, collection: &str, up: Option<String>) -> Value {
    let mut l = json!({ "self": [{ "href": format!("{home}/wp-json/wc/v3/{own}"),
                                   "targetHints": { "allow": ["GET", "POST", "PUT", "PATCH", "DELETE"] } }],
                        "collection": [{ "href": format!("{home}/wp-json/wc/v3/{collection}") }] });
    if let Some(up) = up {
        l["up"] = json!([{ "href": up }]);
    }
    l
}

fn price_html(price: &str) -> String {
    format!(
        "<span class=\"woocommerce-Price-amount amount\"><bdi>{}&nbsp;<span class=\"woocommerce-Price-currencySymbol\">&#107;&#114;</span></bdi></span>",
        price.replace('.', ",")
    )
}

/// A product (not a variation) as `/products` answers it; `children` are its variations.
pub fn product(stored: &Value, children: &[&Value], home: &str) -> Value {
    let mut p = overlay(product_defaults(), stored);
    let name = text(&p["name"]).to_owned();
    let slug = slug(&name);
    if p["type"] == "variable" {
        variable_from_children(&mut p, children);
    } else {
        derive_price_and_stock(&mut p);
    }
    let id = p["id"].as_u64().unwrap_or(0);
    p.insert("price_html".into(), json!(price_html(text(&p["price"]))));
    p.insert("permalink".into(), json!(format!("{home}/produkt/{slug}/")));
    p.insert("slug".into(), json!(slug));
    p.insert("_links".into(), links(home, &format!("products/{id}"), "products", None));
    Value::Object(p)
}

/// A variable product: no price of its own, the cheapest variation's price, on sale and in
/// stock when any variation is (exchanges 21 and 24).
fn variable_from_children(p: &mut Map<String, Value>, children: &[&Value]) {
    let views: Vec<Map<String, Value>> = children
        .iter()
        .map(|c| {
            let mut v = overlay(variation_defaults(), c);
            derive_price_and_stock(&mut v);
            v
        })
        .collect();
    let cheapest = views
        .iter()
        .filter_map(|v| text(&v["price"]).parse::<f64>().ok().map(|n| (n, text(&v["price"]).to_owned())))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    p.insert("price".into(), json!(cheapest.map(|c| c.1).unwrap_or_default()));
    p.insert("regular_price".into(), json!(""));
    p.insert("sale_price".into(), json!(""));
    p.insert("on_sale".into(), json!(views.iter().any(|v| v["on_sale"] == true)));
    let in_stock = views.iter().any(|v| v["stock_status"] == "instock");
    p.insert("stock_status".into(), json!(if in_stock { "instock" } else { "outofstock" }));
    p.insert("manage_stock".into(), json!(false));
    p.insert("stock_quantity".into(), Value::Null);
    p.insert("has_options".into(), json!(true));
    p.insert("variations".into(), children.iter().map(|c| c["id"].clone()).collect());
    let attributes: Vec<Value> = p["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, a)| {
            json!({ "id": 0, "name": a["name"], "slug": a["name"], "position": i, "visible": a.get("visible").cloned().unwrap_or(json!(false)),
                    "variation": a.get("variation").cloned().unwrap_or(json!(false)), "options": a["options"] })
        })
        .collect();
    p.insert("attributes".into(), Value::Array(attributes));
    let defaults: Vec<Value> = p["default_attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| json!({ "id": 0, "name": a["name"], "option": a["option"] }))
        .collect();
    p.insert("default_attributes".into(), Value::Array(defaults));
}

fn variation_attributes(stored: &Value) -> Value {
    stored["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| json!({ "id": 0, "name": a["name"], "slug": slug(text(&a["name"])), "option": a["option"] }))
        .collect()
}

/// The options of a variation, as its name: "S", or "S, Röd".
fn options_name(stored: &Value) -> String {
    let options: Vec<&str> =
        stored["attributes"].as_array().into_iter().flatten().map(|a| text(&a["option"])).collect();
    if options.is_empty() { text(&stored["name"]).to_owned() } else { options.join(", ") }
}

/// A variation as `/products/{id}/variations` answers it (exchanges 22, 25, 42, 87). A
/// write answers with the class as stored ("parent" when it follows the parent); a read
/// shows that as "" (exchanges 25, 88).
pub fn variation(stored: &Value, parent: Option<&Value>, home: &str, written: bool) -> Value {
    let mut v = overlay(variation_defaults(), stored);
    derive_price_and_stock(&mut v);
    if !written && v["tax_class"] == "parent" {
        v.insert("tax_class".into(), json!(""));
    }
    let (id, parent_id) = (v["id"].as_u64().unwrap_or(0), v["parent_id"].as_u64().unwrap_or(0));
    let parent_slug = parent.map(|p| slug(text(&p["name"]))).unwrap_or_default();
    v.insert("name".into(), json!(options_name(stored)));
    v.insert("attributes".into(), variation_attributes(stored));
    let query: Vec<String> = stored["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| format!("attribute_{}={}", slug(text(&a["name"])), text(&a["option"])))
        .collect();
    v.insert("permalink".into(), json!(format!("{home}/produkt/{parent_slug}/?{}", query.join("&"))));
    let up = format!("{home}/wp-json/wc/v3/products/{parent_id}");
    let own = format!("products/{parent_id}/variations/{id}");
    v.insert("_links".into(), links(home, &own, &format!("products/{parent_id}/variations"), Some(up)));
    Value::Object(v)
}

/// A variation as `/products?sku=` answers it: product-shaped, named "Parent - Option",
/// a class that follows the parent shown as "" (exchange 35).
pub fn variation_as_product(stored: &Value, parent: Option<&Value>, home: &str) -> Value {
    let mut p = overlay(product_defaults(), stored);
    derive_price_and_stock(&mut p);
    let parent_name = parent.map(|p| text(&p["name"]).to_owned()).unwrap_or_default();
    let name = format!("{parent_name} - {}", options_name(stored));
    p.insert("name".into(), json!(name));
    // The store gives a variation's sales as a string here (exchange 35).
    p.insert("total_sales".into(), json!(p["total_sales"].to_string()));
    if p["tax_class"] == "parent" {
        p.insert("tax_class".into(), json!(""));
    }
    p.insert("attributes".into(), variation_attributes(stored));
    let id = p["id"].as_u64().unwrap_or(0);
    p.insert("price_html".into(), json!(price_html(text(&p["price"]))));
    p.insert("permalink".into(), json!(format!("{home}/produkt/{}/", slug(&name))));
    p.insert("slug".into(), json!(slug(&name)));
    p.insert("_links".into(), links(home, &format!("products/{id}"), "products", None));
    Value::Object(p)
}
