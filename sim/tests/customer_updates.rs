//! `PUT /3/customers/{n}` in the Fortnox stand-in: the fields sent replace the customer's,
//! the others stay, and the result is checked as a new customer is.

use base64::Engine as _;
use serde_json::{Value, json};
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig};

/// An access token, got the way a client gets one: a consent code exchanged.
fn access_token(sim: &Sim, agent: &ureq::Agent) -> String {
    let code = sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/callback");
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{FORTNOX_CLIENT_ID}:{FORTNOX_CLIENT_SECRET}"));
    let form = [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/callback")];
    let mut response = agent
        .post(format!("{}/oauth-v1/token", sim.fortnox_url))
        .header("Authorization", format!("Basic {basic}"))
        .send_form(form)
        .unwrap();
    let answer: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

fn call(agent: &ureq::Agent, method: &str, url: &str, token: &str, body: Value) -> (u16, Value) {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .unwrap();
    let mut response = agent.run(request).unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap_or(Value::Null))
}

#[test]
fn an_update_merges_and_is_checked_like_a_create() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 3, ..SimConfig::default() })).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let token = access_token(&sim, &agent);
    let customers = format!("{}/3/customers", sim.fortnox_url);
    let (_, created) = call(
        &agent,
        "POST",
        &customers,
        &token,
        json!({ "Customer": { "Name": "Fika & Co AB", "Email": "a@b.se", "Type": "PRIVATE" } }),
    );
    let number = created["Customer"]["CustomerNumber"].as_str().unwrap().to_owned();
    let one = format!("{customers}/{number}");

    let (status, updated) = call(
        &agent,
        "PUT",
        &one,
        &token,
        json!({ "Customer": { "OrganisationNumber": "556677-8899", "Type": "COMPANY" } }),
    );
    assert_eq!(status, 200, "{updated}");
    let c = &sim.fortnox.lock().unwrap().documents.customers[&number.parse::<u64>().unwrap()].clone();
    assert_eq!((c["Name"].as_str(), c["Email"].as_str()), (Some("Fika & Co AB"), Some("a@b.se")), "kept");
    assert_eq!((c["OrganisationNumber"].as_str(), c["Type"].as_str()), (Some("556677-8899"), Some("COMPANY")));

    let refused = |body: Value| call(&agent, "PUT", &one, &token, body).1["ErrorInformation"]["code"].clone();
    assert_eq!(refused(json!({ "Customer": { "Type": "FIRMA" } })), 2000588);
    // The spec check answers first: Customer.Name has minLength 1 (ASSUMPTIONS.md, 5 and 6).
    assert_eq!(refused(json!({ "Customer": { "Name": "" } })), 2000106);
    assert_eq!(refused(json!({ "Customer": { "ZipCode": "12345678901" } })), 2000106);
    assert_eq!(refused(json!({ "Customer": { "@url": "x" } })), 2001399);
    // Without the wrapper, `Name` is a field the body's schema does not have.
    assert_eq!(refused(json!({ "Name": "no wrapper" })), 2001399);
    let (status, _) = call(&agent, "PUT", &format!("{customers}/999"), &token, json!({ "Customer": { "Name": "X" } }));
    assert_eq!(status, 404);
    let c = &sim.fortnox.lock().unwrap().documents.customers[&number.parse::<u64>().unwrap()].clone();
    assert_eq!(c["Type"], "COMPANY", "a refused update changes nothing");
}
