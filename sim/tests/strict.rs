//! The stand-ins refuse what the real services refuse. Each case is something the real
//! Fortnox or WooCommerce documents or was recorded doing.

use base64::Engine as _;
use serde_json::{Value, json};
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig};

struct Running {
    sim: Sim,
    _rt: tokio::runtime::Runtime,
    agent: ureq::Agent,
}

fn start(articles: usize) -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles, ..SimConfig::default() })).unwrap();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    Running { sim, _rt: rt, agent }
}

fn body(mut response: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn client_basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{FORTNOX_CLIENT_ID}:{FORTNOX_CLIENT_SECRET}"))
    )
}

impl Running {
    fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let url = format!("{}/oauth-v1/token", self.sim.fortnox_url);
        body(self.agent.post(&url).header("Authorization", &client_basic()).send_form(form.iter().copied()).unwrap())
    }

    fn first_tokens(&self) -> (String, String) {
        let code = self.sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/callback");
        let (status, t) = self.token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
        ]);
        assert_eq!(status, 200, "{t}");
        (t["access_token"].as_str().unwrap().to_owned(), t["refresh_token"].as_str().unwrap().to_owned())
    }

    fn fortnox_get(&self, path_and_query: &str, token: &str) -> (u16, Value) {
        let url = format!("{}{path_and_query}", self.sim.fortnox_url);
        body(self.agent.get(&url).header("Authorization", &format!("Bearer {token}")).call().unwrap())
    }
}

#[test]
fn refresh_tokens_are_single_use_and_rotate() {
    let r = start(3);
    let (_, refresh) = r.first_tokens();
    let (status, rotated) = r.token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]);
    assert_eq!(status, 200);
    let next = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(next, refresh);
    let (status, err) = r.token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]);
    assert_eq!((status, err["error_description"].as_str()), (400, Some("Invalid refresh token")));
    assert_eq!(r.token(&[("grant_type", "refresh_token"), ("refresh_token", next)]).0, 200);
}

#[test]
fn the_token_endpoint_checks_the_client_and_the_code() {
    let r = start(3);
    let url = format!("{}/oauth-v1/token", r.sim.fortnox_url);
    let wrong = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("x:y"));
    let (status, _) =
        body(r.agent.post(&url).header("Authorization", &wrong).send_form([("grant_type", "refresh_token")]).unwrap());
    assert_eq!(status, 401);
    let code = r.sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/cb");
    let form =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", "http://127.0.0.1:9/cb")];
    assert_eq!(r.token(&form).0, 200);
    assert_eq!(r.token(&form).0, 400, "an authorization code works once");
    let (status, _) = r.token(&[("grant_type", "client_credentials")]);
    assert_eq!(status, 400, "client credentials need the TenantId header");
}

#[test]
fn resources_need_a_live_bearer_token() {
    let r = start(3);
    let (status, err) = r.fortnox_get("/3/articles", "not-a-token");
    assert_eq!(status, 401);
    assert_eq!(err["ErrorInformation"]["code"], 2000311);
    let (access, _) = r.first_tokens();
    assert_eq!(r.fortnox_get("/3/articles", &access).0, 200);
    r.sim.fortnox.lock().unwrap().expire_access_tokens();
    assert_eq!(r.fortnox_get("/3/articles", &access).0, 401);
}

#[test]
fn articles_page_with_meta_information_and_a_500_limit() {
    let r = start(1203);
    let (access, _) = r.first_tokens();
    let (status, page) = r.fortnox_get("/3/articles?limit=500&page=3", &access);
    assert_eq!(status, 200);
    assert_eq!(page["MetaInformation"]["@TotalResources"], 1203);
    assert_eq!(page["MetaInformation"]["@TotalPages"], 3);
    assert_eq!(page["MetaInformation"]["@CurrentPage"], 3);
    assert_eq!(page["Articles"].as_array().unwrap().len(), 203);
    assert!(page["Articles"][0]["DisposableQuantity"].is_string(), "list items carry numbers as strings");
    assert_eq!(r.fortnox_get("/3/articles?limit=501", &access).0, 400);
}

#[test]
fn stock_written_on_an_article_is_what_is_free_to_sell_less_the_reserved() {
    let r = start(3);
    let (access, _) = r.first_tokens();
    let sku = r.sim.fortnox.lock().unwrap().articles.keys().next().cloned().unwrap();
    r.sim.fortnox.lock().unwrap().articles.get_mut(&sku).unwrap()["ReservedQuantity"] = json!(4);
    let body = json!({ "Article": { "QuantityInStock": 321 } });
    let (status, answer) = r.fortnox_put(&format!("/3/articles/{sku}"), &access, Some(body));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["Article"]["DisposableQuantity"].as_f64(), Some(317.0), "{answer}");
    let refused = json!({ "Article": { "DisposableQuantity": 5 } });
    assert_eq!(r.fortnox_put(&format!("/3/articles/{sku}"), &access, Some(refused)).0, 400, "Fortnox computes it");
}

#[test]
fn search_is_a_case_insensitive_substring() {
    let r = start(120);
    let (access, _) = r.first_tokens();
    let (_, found) = r.fortnox_get("/3/articles?articlenumber=sim-0001", &access);
    let numbers: Vec<&str> =
        found["Articles"].as_array().unwrap().iter().map(|a| a["ArticleNumber"].as_str().unwrap()).collect();
    assert!(numbers.contains(&"SIM-00010") && numbers.contains(&"SIM-00011") && numbers.len() > 1, "{numbers:?}");
}

#[test]
fn read_only_fields_are_refused() {
    let r = start(3);
    let (access, _) = r.first_tokens();
    let url = format!("{}/3/articles", r.sim.fortnox_url);
    let send = |article: Value| {
        body(
            r.agent
                .post(&url)
                .header("Authorization", &format!("Bearer {access}"))
                .header("Content-Type", "application/json")
                .send(serde_json::json!({ "Article": article }).to_string())
                .unwrap(),
        )
    };
    let (status, err) = send(serde_json::json!({ "ArticleNumber": "NEW-1", "Description": "Ny", "SalesPrice": 10 }));
    assert_eq!((status, err["ErrorInformation"]["code"].as_u64()), (400, Some(2001399)));
    let (status, _) = send(serde_json::json!({ "ArticleNumber": "NEW-1", "Description": "x".repeat(201) }));
    assert_eq!(status, 400, "Description is at most 200 characters");
    assert_eq!(send(serde_json::json!({ "ArticleNumber": "NEW-1", "Description": "Ny" })).0, 200);
}

#[test]
fn a_burst_past_25_in_5_seconds_gets_429() {
    let r = start(3);
    let (access, _) = r.first_tokens();
    let statuses: Vec<u16> = (0..30).map(|_| r.fortnox_get("/3/articles?limit=1", &access).0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 25);
    assert!(statuses[25..].iter().all(|s| *s == 429), "{statuses:?}");
}

/// Fortnox counts 25 in any 5 s per client id and tenant, not per token: a second token
/// of the same integration in the same company draws on the same window.
#[test]
fn two_tokens_of_one_client_share_the_window() {
    let r = start(3);
    let (first, _) = r.first_tokens();
    let (second, _) = r.first_tokens();
    assert_ne!(first, second);
    let statuses: Vec<u16> =
        (0..30).map(|i| r.fortnox_get("/3/articles?limit=1", if i % 2 == 0 { &first } else { &second }).0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 25, "{statuses:?}");
}

#[test]
fn woocommerce_over_http_ignores_basic_and_rest_route() {
    let r = start(4);
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("ck_x:cs_y"));
    let (status, err) = body(
        r.agent
            .get(&format!("{}/wp-json/wc/v3/products", r.sim.woo_url))
            .header("Authorization", &basic)
            .call()
            .unwrap(),
    );
    assert_eq!((status, err["code"].as_str()), (401, Some("woocommerce_rest_cannot_view")));
    let (status, _) = body(r.agent.get(&format!("{}/?rest_route=/wc/v3/products", r.sim.woo_url)).call().unwrap());
    assert_eq!(status, 401);
    let (status, err) =
        body(r.agent.get(&format!("{}/wp-json/wc/v3/products?oauth_consumer_key=ck_x", r.sim.woo_url)).call().unwrap());
    assert_eq!((status, err["code"].as_str()), (401, Some("woocommerce_rest_authentication_missing_parameter")));
}

#[test]
fn every_request_is_logged() {
    let r = start(3);
    let _ = r.fortnox_get("/3/articles", "nope");
    let entries = r.sim.log.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].service, entries[0].status, entries[0].path.as_str()), ("fortnox", 401, "/3/articles"));
    assert_eq!(entries[0].authorization.as_deref(), Some("Bearer nope"));
}

#[test]
fn prices_come_from_the_price_list_as_numbers() {
    let r = start(3);
    let (access, _) = r.first_tokens();
    let (status, price) = r.fortnox_get("/3/prices/A/SIM-00001", &access);
    assert_eq!(status, 200);
    assert_eq!(price["Price"]["PriceList"], "A");
    assert!(price["Price"]["Price"].is_number());
    assert_eq!(r.fortnox_get("/3/prices/B/SIM-00001", &access).0, 404);
}

impl Running {
    fn fortnox_post(&self, path: &str, token: &str, json: serde_json::Value) -> (u16, Value) {
        let url = format!("{}{path}", self.sim.fortnox_url);
        body(
            self.agent
                .post(&url)
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", "application/json")
                .send(json.to_string())
                .unwrap(),
        )
    }
}

#[test]
fn customer_search_is_substring_so_exact_matching_is_the_clients_job() {
    let r = start(3);
    let (access, _) = r.first_tokens();
    for email in ["anna@example.se", "hanna@example.se"] {
        let (status, c) = r.fortnox_post(
            "/3/customers",
            &access,
            serde_json::json!({ "Customer": { "Name": email, "Email": email } }),
        );
        assert_eq!(status, 200, "{c}");
    }
    let (_, found) = r.fortnox_get("/3/customers?email=anna@example.se", &access);
    assert_eq!(found["Customers"].as_array().unwrap().len(), 2);
    let (status, err) = r.fortnox_post(
        "/3/customers",
        &access,
        serde_json::json!({ "Customer": { "Name": "X", "ZipCode": "12345678901" } }),
    );
    assert_eq!((status, err["ErrorInformation"]["code"].as_u64()), (400, Some(2000106)));
}

#[test]
fn orders_refuse_what_fortnox_refuses_and_compute_their_totals() {
    let r = start(3);
    let (access, _) = r.first_tokens();
    let (_, c) = r.fortnox_post("/3/customers", &access, serde_json::json!({ "Customer": { "Name": "Anna" } }));
    let customer = c["Customer"]["CustomerNumber"].as_str().unwrap().to_owned();
    let order = |rows: serde_json::Value, extra: serde_json::Value| {
        let mut o = serde_json::json!({ "CustomerNumber": customer, "OrderRows": rows });
        o.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        r.fortnox_post("/3/orders", &access, serde_json::json!({ "Order": o }))
    };
    let row = serde_json::json!([{ "ArticleNumber": "SIM-00001", "OrderedQuantity": 2, "DeliveredQuantity": 2, "Price": 100, "VAT": 25 }]);
    assert_eq!(order(row.clone(), serde_json::json!({ "Total": 250 })).1["ErrorInformation"]["code"], 2001399);
    let bad_vat = serde_json::json!([{ "ArticleNumber": "SIM-00001", "OrderedQuantity": 1, "Price": 100, "VAT": 8 }]);
    assert_eq!(order(bad_vat, serde_json::json!({})).0, 400);
    let unknown = serde_json::json!([{ "ArticleNumber": "NOPE", "OrderedQuantity": 1, "Price": 1, "VAT": 25 }]);
    assert_eq!(order(unknown, serde_json::json!({})).1["ErrorInformation"]["code"], 2001302);
    let (status, created) = order(row, serde_json::json!({ "ExternalInvoiceReference1": "woonox:woo:1" }));
    assert_eq!(status, 200);
    assert_eq!(created["Order"]["Total"], 250.0);
    let (_, found) = r.fortnox_get("/3/orders?externalinvoicereference1=woonox:woo:1", &access);
    assert_eq!(found["Orders"].as_array().unwrap().len(), 1);
}

impl Running {
    fn fortnox_put(&self, path: &str, token: &str, json: Option<serde_json::Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.sim.fortnox_url);
        let request = self.agent.put(&url).header("Authorization", &format!("Bearer {token}"));
        match json {
            Some(j) => body(request.header("Content-Type", "application/json").send(j.to_string()).unwrap()),
            None => body(request.send_empty().unwrap()),
        }
    }

    /// A customer and an order for 2 × 100.00 at 25 %: answers (token, order number).
    fn ordered(&self) -> (String, String) {
        let (access, _) = self.first_tokens();
        let (_, c) = self.fortnox_post("/3/customers", &access, serde_json::json!({ "Customer": { "Name": "Anna" } }));
        let order = serde_json::json!({ "Order": { "CustomerNumber": c["Customer"]["CustomerNumber"], "ExternalInvoiceReference1": "woonox:woo:7",
            "OrderRows": [{ "ArticleNumber": "SIM-00001", "OrderedQuantity": 2, "DeliveredQuantity": 2, "Price": 100, "VAT": 25 }] } });
        let (_, o) = self.fortnox_post("/3/orders", &access, order);
        (access, o["Order"]["DocumentNumber"].as_str().unwrap().to_owned())
    }
}

#[test]
fn an_order_becomes_an_invoice_that_is_bookkept_credited_and_paid_fortnox_s_way() {
    let r = start(3);
    let (t, order) = r.ordered();
    let (status, o) = r.fortnox_put(&format!("/3/orders/{order}/createinvoice"), &t, None);
    assert_eq!(status, 200, "{o}");
    let invoice = o["Order"]["InvoiceReference"].as_str().unwrap().to_owned();
    assert_ne!(invoice, "0");
    assert_eq!(
        r.fortnox_put(&format!("/3/orders/{order}/cancel"), &t, None).0,
        400,
        "an invoiced order cannot be cancelled"
    );
    let (_, i) = r.fortnox_get(&format!("/3/invoices/{invoice}"), &t);
    assert_eq!(
        (i["Invoice"]["Total"].as_f64(), i["Invoice"]["ExternalInvoiceReference1"].as_str()),
        (Some(250.0), Some("woonox:woo:7"))
    );
    assert_eq!(
        r.fortnox_put(&format!("/3/invoices/{invoice}/credit"), &t, None).0,
        400,
        "an unbooked invoice is cancelled, not credited"
    );
    assert_eq!(r.fortnox_put(&format!("/3/invoices/{invoice}/bookkeep"), &t, None).0, 200);
    assert_eq!(
        r.fortnox_put(&format!("/3/invoices/{invoice}/cancel"), &t, None).0,
        400,
        "a booked invoice cannot be cancelled"
    );
    let edit = serde_json::json!({ "Invoice": { "Remarks": "x" } });
    assert_eq!(
        r.fortnox_put(&format!("/3/invoices/{invoice}"), &t, Some(edit)).0,
        400,
        "a booked invoice cannot be edited"
    );
    let (status, credited) = r.fortnox_put(&format!("/3/invoices/{invoice}/credit"), &t, None);
    assert_eq!(status, 200);
    let credit = credited["Invoice"]["CreditInvoiceReference"].as_str().unwrap().to_owned();
    let (_, c) = r.fortnox_get(&format!("/3/invoices/{credit}"), &t);
    assert_eq!((c["Invoice"]["Credit"].as_bool(), c["Invoice"]["Total"].as_f64()), (Some(true), Some(-250.0)));
    assert_eq!(c["Invoice"]["InvoiceReference"], invoice);
    assert_eq!(r.fortnox_put(&format!("/3/invoices/{invoice}/credit"), &t, None).0, 400, "credited once only this way");
    // A partial credit: the unbooked credit invoice is edited down to one row.
    let partial = serde_json::json!({ "Invoice": { "ExternalInvoiceReference2": "woonox:woo:refund:9",
        "InvoiceRows": [{ "ArticleNumber": "SIM-00001", "DeliveredQuantity": -1, "Price": 100, "VAT": 25 }] } });
    let (status, edited) = r.fortnox_put(&format!("/3/invoices/{credit}"), &t, Some(partial));
    assert_eq!((status, edited["Invoice"]["Total"].as_f64()), (200, Some(-125.0)));
    let pay = |amount: f64, date: &str| {
        r.fortnox_post("/3/invoicepayments", &t, serde_json::json!({ "InvoicePayment": { "InvoiceNumber": invoice.parse::<u64>().unwrap(), "Amount": amount, "PaymentDate": date } }))
    };
    assert_eq!(pay(10.0, "2000-01-01").1["ErrorInformation"]["code"], 2001089);
    assert_eq!(pay(500.0, "2099-01-01").0, 400, "more than the balance");
    assert_eq!(pay(100.0, "2099-01-01").0, 200);
    assert_eq!(r.fortnox_get(&format!("/3/invoices/{invoice}"), &t).1["Invoice"]["FinalPayDate"], "");
    assert_eq!(pay(150.0, "2099-01-02").0, 200);
    assert_eq!(r.fortnox_get(&format!("/3/invoices/{invoice}"), &t).1["Invoice"]["FinalPayDate"], "2099-01-02");
}

#[test]
fn currencies_and_warehouse_stock() {
    let r = start(3);
    let (t, _) = r.first_tokens();
    let (status, eur) = r.fortnox_get("/3/currencies/EUR", &t);
    assert_eq!((status, eur["Currency"]["SellRate"].is_number()), (200, true));
    assert_eq!(r.fortnox_get("/3/currencies/XYZ", &t).0, 404);
    let (_, balance) = r.fortnox_get("/api/warehouse/status-v1/stockbalance?itemIds=SIM-00001", &t);
    let rows = balance.as_array().unwrap();
    assert_eq!(rows.len(), 2, "two stock points");
    let total: f64 = rows.iter().map(|r| r["availableStock"].as_f64().unwrap()).sum();
    let (_, article) = r.fortnox_get("/3/articles/SIM-00001", &t);
    assert_eq!(total, article["Article"]["QuantityInStock"].as_f64().unwrap());
}

/// The case that makes duplicates elsewhere: the write happened, the answer never came.
#[test]
fn commit_then_drop_commits_the_write_and_breaks_the_answer() {
    let r = start(3);
    let (t, _) = r.first_tokens();
    r.sim.fortnox_faults.lock().unwrap().drop_after_commit = 1;
    let url = format!("{}/3/customers", r.sim.fortnox_url);
    let outcome = r
        .agent
        .post(&url)
        .header("Authorization", &format!("Bearer {t}"))
        .header("Content-Type", "application/json")
        .send(serde_json::json!({ "Customer": { "Name": "Anna", "Email": "anna@example.se" } }).to_string())
        .and_then(|mut resp| resp.body_mut().read_to_string());
    assert!(outcome.is_err(), "the client got an answer: {outcome:?}");
    let (_, found) = r.fortnox_get("/3/customers?email=anna@example.se", &t);
    assert_eq!(found["Customers"].as_array().unwrap().len(), 1, "the write was committed");
    assert_eq!(r.sim.fortnox_faults.lock().unwrap().served.dropped_after_commit, 1);
}

#[test]
fn server_errors_and_storms_are_served_before_the_handler() {
    let r = start(3);
    let (t, _) = r.first_tokens();
    r.sim.fortnox_faults.lock().unwrap().server_errors = 1;
    r.sim.fortnox_faults.lock().unwrap().rate_limited = 1;
    assert_eq!(r.fortnox_get("/3/articles", &t).0, 429);
    assert_eq!(r.fortnox_get("/3/articles", &t).0, 503);
    assert_eq!(r.fortnox_get("/3/articles", &t).0, 200);
}

#[test]
fn lastmodified_finds_only_what_changed() {
    let r = start(120);
    let (t, _) = r.first_tokens();
    let (_, all) = r.fortnox_get("/3/articles?lastmodified=2026-11-01%2000:00", &t);
    assert_eq!(all["MetaInformation"]["@TotalResources"], 120);
    let (status, _) =
        r.fortnox_put("/3/articles/SIM-00007", &t, Some(serde_json::json!({ "Article": { "Description": "Ändrad" } })));
    assert_eq!(status, 200);
    let (_, changed) = r.fortnox_get("/3/articles?lastmodified=2026-11-25%2000:00", &t);
    let numbers: Vec<&str> =
        changed["Articles"].as_array().unwrap().iter().map(|a| a["ArticleNumber"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["SIM-00007"]);
    assert_eq!(r.fortnox_get("/3/articles?lastmodified=yesterday", &t).0, 400);
}

#[test]
fn invoices_lastmodified_finds_the_ones_changed_since_a_payment_included() {
    let r = start(3);
    let (t, order) = r.ordered();
    let (_, o) = r.fortnox_put(&format!("/3/orders/{order}/createinvoice"), &t, None);
    let invoice = o["Order"]["InvoiceReference"].as_str().unwrap().to_owned();
    let listed = |since: &str| {
        let (status, list) = r.fortnox_get(&format!("/3/invoices?lastmodified={since}"), &t);
        assert_eq!(status, 200, "{list}");
        let numbers = list["Invoices"].as_array().unwrap().iter();
        numbers.map(|i| i["DocumentNumber"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let minutes_ago =
        |m: i64| (chrono::Utc::now() - chrono::Duration::minutes(m)).format("%Y-%m-%d%%20%H:%M:%S").to_string();
    assert_eq!(listed(&minutes_ago(5)), std::slice::from_ref(&invoice), "a new invoice is changed");
    r.sim.fortnox.lock().unwrap().documents.backdate_invoices(chrono::Duration::hours(1));
    assert!(listed(&minutes_ago(5)).is_empty(), "nothing changed in the last five minutes");
    let (_, i) = r.fortnox_get(&format!("/3/invoices/{invoice}"), &t);
    let payment = serde_json::json!({ "InvoicePayment": { "InvoiceNumber": invoice.parse::<u64>().unwrap(),
        "Amount": i["Invoice"]["Total"], "PaymentDate": chrono::Utc::now().format("%Y-%m-%d").to_string() } });
    assert_eq!(r.fortnox_post("/3/invoicepayments", &t, payment).0, 200);
    assert_eq!(listed(&minutes_ago(5)), [invoice], "a payment moves the invoice's stamp");
    assert_eq!(r.fortnox_get("/3/invoices?lastmodified=yesterday", &t).0, 400);
}
