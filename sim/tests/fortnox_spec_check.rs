//! The Fortnox stand-in checks write bodies against Fortnox's published spec, answers
//! what it refuses in Fortnox's error shape, serves prices as a store of their own, and
//! lists articles as the spec's `ArticleListItem`.

use serde_json::{Value, json};
use woonox_sim::fortnox_schema::{DEVIATIONS, NUMBERS_FOR_STRINGS};
use woonox_sim::{Sim, SimConfig, fortnox_spec};

struct Running {
    sim: Sim,
    _rt: tokio::runtime::Runtime,
    agent: ureq::Agent,
    token: String,
}

fn start() -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 6, ..SimConfig::default() })).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let code = sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/cb");
    let basic = base64_basic();
    let mut r = agent
        .post(&format!("{}/oauth-v1/token", sim.fortnox_url))
        .header("Authorization", &basic)
        .send_form([("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/cb")])
        .unwrap();
    let t: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    let token = t["access_token"].as_str().unwrap().to_owned();
    Running { sim, _rt: rt, agent, token }
}

fn base64_basic() -> String {
    use base64::Engine as _;
    let pair = format!("{}:{}", woonox_sim::FORTNOX_CLIENT_ID, woonox_sim::FORTNOX_CLIENT_SECRET);
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

impl Running {
    fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.sim.fortnox_url);
        let auth = format!("Bearer {}", self.token);
        let mut response = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("POST", Some(b)) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .content_type("application/json")
                .send(b.to_string()),
            ("PUT", Some(b)) => {
                self.agent.put(&url).header("Authorization", &auth).content_type("application/json").send(b.to_string())
            }
            _ => unreachable!("not used here"),
        }
        .unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap_or(Value::Null))
    }

    fn customer(&self) -> String {
        let (status, c) = self.send("POST", "/3/customers", Some(json!({ "Customer": { "Name": "Anna" } })));
        assert_eq!(status, 200, "{c}");
        c["Customer"]["CustomerNumber"].as_str().unwrap().to_owned()
    }

    fn order(&self, fields: Value) -> (u16, Value) {
        let mut order = json!({ "CustomerNumber": self.customer(),
            "OrderRows": [{ "ArticleNumber": "SIM-00001", "OrderedQuantity": "2", "DeliveredQuantity": "2", "Price": 100, "VAT": 25 }] });
        order.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        self.send("POST", "/3/orders", Some(json!({ "Order": order })))
    }
}

/// Fortnox's error shape, its code, and a message that names the field.
fn assert_refused((status, body): (u16, Value), code: u64, field: &str) {
    assert_eq!(status, 400, "{body}");
    let info = &body["ErrorInformation"];
    assert_eq!((info["error"].as_u64(), info["code"].as_u64()), (Some(1), Some(code)), "{body}");
    assert!(info["message"].as_str().unwrap().contains(field), "the message names {field}: {body}");
}

#[test]
fn the_spec_was_loaded() {
    assert!(fortnox_spec::spec_loaded(), "set WOONOX_FORTNOX_SPEC or check out shared/ beside the repository");
    let spec = fortnox_spec::spec().unwrap();
    assert!(spec.body_for(&axum::http::Method::POST, "/3/orders").is_some());
    assert!(spec.body_for(&axum::http::Method::PUT, "/3/prices/A/SIM-00001/0").is_some());
    assert!(spec.body_for(&axum::http::Method::PUT, "/3/orders/1/createinvoice").is_none(), "actions carry no body");
}

#[test]
fn an_unknown_field_is_refused_by_name() {
    let r = start();
    assert_refused(r.order(json!({ "Colour": "blå" })), 2001399, "Order.Colour");
    let row = json!({ "OrderRows": [{ "ArticleNumber": "SIM-00001", "OrderedQuantity": 1, "Price": 1, "Rabatt": 5 }] });
    assert_refused(r.order(row), 2001399, "Order.OrderRows[0].Rabatt");
    assert_refused(r.send("POST", "/3/orders", Some(json!({ "Orders": {} }))), 2001399, "Orders");
}

#[test]
fn a_wrong_type_is_refused_by_name() {
    let r = start();
    assert_refused(r.order(json!({ "VATIncluded": "ja" })), 2000134, "Order.VATIncluded");
    assert_refused(r.order(json!({ "Freight": "gratis" })), 2000108, "Order.Freight");
    assert_refused(r.order(json!({ "YourOrderNumber": 1042 })), 2000106, "Order.YourOrderNumber");
    let payment = json!({ "InvoicePayment": { "InvoiceNumber": 1.5, "Amount": 10 } });
    assert_refused(r.send("POST", "/3/invoicepayments", Some(payment)), 2000108, "InvoicePayment.InvoiceNumber");
}

#[test]
fn too_long_out_of_range_and_unlisted_values_are_refused_by_name() {
    let r = start();
    assert_refused(r.order(json!({ "YourOrderNumber": "x".repeat(76) })), 2000106, "Order.YourOrderNumber");
    assert_refused(r.order(json!({ "DeliveryState": "shipped" })), 2000588, "Order.DeliveryState");
    assert_refused(r.order(json!({ "OrderDate": "26/11/2026" })), 2000588, "Order.OrderDate");
    let article = json!({ "Article": { "Description": "Vas", "Weight": -1 } });
    assert_refused(r.send("PUT", "/3/articles/SIM-00001", Some(article)), 2000588, "Article.Weight");
    let customer = json!({ "Customer": { "Name": "Anna", "CountryCode": "SWE" } });
    assert_refused(r.send("POST", "/3/customers", Some(customer)), 2000106, "Customer.CountryCode");
}

#[test]
fn read_only_fields_are_refused_by_name() {
    let r = start();
    assert_refused(r.order(json!({ "TotalVAT": 50 })), 2001399, "Order.TotalVAT");
    let row = json!({ "OrderRows": [{ "ArticleNumber": "SIM-00001", "OrderedQuantity": 1, "Price": 1, "Total": 1 }] });
    assert_refused(r.order(row), 2001399, "Order.OrderRows[0].Total");
    let article = json!({ "Article": { "StockValue": 10 } });
    assert_refused(r.send("PUT", "/3/articles/SIM-00001", Some(article)), 2001399, "Article.StockValue");
    let price = json!({ "Price": { "Price": 10, "Date": "2026-11-26" } });
    assert_refused(r.send("PUT", "/3/prices/A/SIM-00001/0", Some(price)), 2001399, "Price.Date");
}

#[test]
fn a_refused_body_still_needs_a_live_token() {
    let mut r = start();
    r.token = "not-a-token".into();
    let (status, body) = r.send("POST", "/3/orders", Some(json!({ "Order": { "Colour": "blå" } })));
    assert_eq!((status, body["ErrorInformation"]["code"].as_u64()), (401, Some(2000311)));
}

#[test]
fn a_body_that_follows_the_spec_passes() {
    let r = start();
    let (status, created) = r.order(json!({
        "OrderDate": "2026-11-26", "Currency": "SEK", "VATIncluded": true, "Freight": 49.0,
        "YourOrderNumber": "1042", "ExternalInvoiceReference1": "woonox:woo:1042", "DeliveryState": "delivery",
        "Remarks": "Tack!", "EmailInformation": { "EmailAddressTo": "anna@example.se" },
    }));
    assert_eq!(status, 200, "{created}");
    let document = created["Order"]["DocumentNumber"].as_str().unwrap();
    let (status, _) = r.send("PUT", &format!("/3/orders/{document}/createinvoice"), Some(json!({})));
    assert_eq!(status, 200);
}

#[test]
fn the_documented_deviations_are_accepted() {
    let r = start();
    assert!(!DEVIATIONS.is_empty() && NUMBERS_FOR_STRINGS.contains(&("Order_OrderRow", "OrderedQuantity")));
    // Quantities as JSON numbers; a price as a numeric string.
    let rows = json!({ "OrderRows": [
        { "ArticleNumber": "SIM-00001", "OrderedQuantity": 2, "DeliveredQuantity": 2, "Price": "100.50", "VAT": 25 },
        { "Description": "Tack för din beställning", "OrderedQuantity": 0, "DeliveredQuantity": 0 }] });
    let (status, body) = r.order(rows);
    assert_eq!(status, 200, "{body}");
    // API_BLANK clears a field whatever its type.
    let blank = json!({ "Article": { "Weight": "API_BLANK", "Note": "API_BLANK" } });
    let (status, body) = r.send("PUT", "/3/articles/SIM-00002", Some(blank));
    assert_eq!(status, 200, "{body}");
    assert!(body["Article"].get("Weight").is_none());
}

#[test]
fn prices_round_trip_through_post_put_and_get() {
    let r = start();
    r.sim.fortnox.lock().unwrap().prices.add_list("B");
    let tier =
        json!({ "Price": { "ArticleNumber": "SIM-00003", "PriceList": "B", "FromQuantity": 10, "Price": 89.5 } });
    let (status, created) = r.send("POST", "/3/prices", Some(tier.clone()));
    assert_eq!((status, created["Price"]["Price"].as_f64()), (200, Some(89.5)), "{created}");
    assert_eq!(r.send("POST", "/3/prices", Some(tier)).0, 400, "the tier exists");
    let (status, updated) = r.send("PUT", "/3/prices/B/SIM-00003/10", Some(json!({ "Price": { "Price": 79 } })));
    assert_eq!((status, updated["Price"]["Price"].as_f64()), (200, Some(79.0)));
    let (_, got) = r.send("GET", "/3/prices/B/SIM-00003/10", None);
    assert_eq!((got["Price"]["Price"].as_f64(), got["Price"]["FromQuantity"].as_f64()), (Some(79.0), Some(10.0)));
    let (_, first) = r.send("GET", "/3/prices/B/SIM-00003", None);
    assert_eq!(first["Price"]["FromQuantity"].as_f64(), Some(10.0), "the lowest tier of list B");
    let (_, all) = r.send("GET", "/3/prices?limit=500", None);
    let in_b = all["Prices"].as_array().unwrap().iter().filter(|p| p["PriceList"] == "B").count();
    assert_eq!(in_b, 1);
    let unknown = json!({ "Price": { "ArticleNumber": "SIM-00003", "PriceList": "C", "Price": 1 } });
    assert_eq!(r.send("POST", "/3/prices", Some(unknown)).0, 400);
    assert_eq!(r.send("GET", "/3/prices/C/SIM-00003", None).0, 404);
}

#[test]
fn list_a_first_tier_is_the_articles_sales_price() {
    let r = start();
    let (status, _) = r.send("PUT", "/3/prices/A/SIM-00001/0", Some(json!({ "Price": { "Price": 123.45 } })));
    assert_eq!(status, 200);
    let (_, article) = r.send("GET", "/3/articles/SIM-00001", None);
    assert_eq!(article["Article"]["SalesPrice"].as_f64(), Some(123.45));
    r.sim.fortnox.lock().unwrap().set_price("SIM-00001", 99.0);
    let (_, price) = r.send("GET", "/3/prices/A/SIM-00001", None);
    assert_eq!(price["Price"]["Price"].as_f64(), Some(99.0), "set_price writes the price store");
    let modified = |r: &Running| r.sim.fortnox.lock().unwrap().modified["SIM-00003"].clone();
    let before = modified(&r);
    r.sim.fortnox.lock().unwrap().set_list_price("A", "SIM-00003", 5.0);
    assert_eq!(modified(&r), before, "a price-list change leaves the article's lastmodified");
    let (_, article) = r.send("GET", "/3/articles/SIM-00003", None);
    assert_eq!(article["Article"]["SalesPrice"].as_f64(), Some(5.0));
}

#[test]
fn one_article_carries_more_than_its_list_item() {
    let r = start();
    let (_, one) = r.send("GET", "/3/articles/SIM-00002", None);
    let article = &one["Article"];
    assert_eq!(article["EAN"].as_str().map(str::len), Some(13));
    for field in ["Note", "Weight", "Manufacturer", "StockGoods"] {
        assert!(!article[field].is_null(), "GET carries {field}: {article}");
    }
    let (_, list) = r.send("GET", "/3/articles?articlenumber=SIM-00002", None);
    let item = list["Articles"][0].as_object().unwrap();
    for field in ["Note", "Weight", "Manufacturer", "Active"] {
        assert!(!item.contains_key(field), "the list item leaves out {field}");
    }
    let spec = fortnox_spec::spec().expect("spec loaded");
    let allowed = spec.definition("ArticleListItem").unwrap()["properties"].as_object().unwrap();
    let beyond = woonox_sim::fortnox::LIST_ITEM_BEYOND_SPEC;
    assert!(
        item.keys().all(|k| allowed.contains_key(k) || beyond.contains(&k.as_str())),
        "only ArticleListItem fields and the listed deviation: {item:?}"
    );
    assert_eq!(item["EAN"], article["EAN"], "the spec's list item does carry EAN");
}

/// What `woonox doctor` reads of the company is shaped as the spec's response schemas, and
/// an unknown code or date gives 404 or an empty list.
#[test]
fn the_company_set_up_answers_as_the_spec_describes() {
    let r = start();
    let spec = fortnox_spec::spec().expect("spec loaded");
    for (path, wrap) in [
        ("/3/pricelists/A", "PriceList_Wrap"),
        ("/3/modesofpayments/KORT", "ModeOfPayment_Wrap"),
        ("/3/accounts/3740", "AccountSingleItem_Wrap"),
        ("/3/financialyears?Date=2026-06-30", "FinancialYear_WrapList"),
    ] {
        let (status, mut body) = r.send("GET", path, None);
        assert_eq!(status, 200, "{path}: {body}");
        // Every list carries its paging (docs/fortnox-api.md §2); the spec's wrappers leave it out.
        body.as_object_mut().unwrap().remove("MetaInformation");
        let schema = json!({ "$ref": format!("#/definitions/{wrap}") });
        spec.check(&schema, &body).unwrap_or_else(|v| panic!("{path}: {v:?} in {body}"));
        let (key, inner) = body.as_object().unwrap().iter().next().unwrap();
        let item = if inner.is_array() { &inner[0] } else { inner };
        let wrapped = &spec.definition(wrap).unwrap()["properties"][key];
        let item_ref = wrapped["$ref"].as_str().or(wrapped["items"]["$ref"].as_str()).unwrap();
        let fields = spec.definition(item_ref.rsplit('/').next().unwrap()).unwrap()["properties"].as_object().unwrap();
        assert!(item.as_object().unwrap().keys().all(|k| fields.contains_key(k)), "{path}: {item}");
    }
    for path in ["/3/pricelists/NOPE", "/3/modesofpayments/NOPE", "/3/accounts/9999"] {
        assert_eq!(r.send("GET", path, None).0, 404, "{path}");
    }
    let (_, none) = r.send("GET", "/3/financialyears?Date=1999-06-30", None);
    assert_eq!(none["FinancialYears"], json!([]));
    r.sim.fortnox.lock().unwrap().company.unlicensed_scopes.insert("bookkeeping".into());
    let (status, body) = r.send("GET", "/3/accounts/3740", None);
    assert_eq!((status, body["ErrorInformation"]["code"].as_u64()), (403, Some(2001101)));
}
