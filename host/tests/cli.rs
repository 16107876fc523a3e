//! The `woonox` binary as a user runs it: output, messages and exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(relative)
}

fn woonox(args: &[&str], stdin: Option<&str>) -> Output {
    let data = std::env::temp_dir().join(format!("woonox-cli-test-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_woonox"))
        .arg("--data-dir")
        .arg(&data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    // A process that fails before reading its input closes the pipe early; that is fine.
    let _ = pipe.write_all(stdin.unwrap_or("").as_bytes());
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn map_order_prints_the_fortnox_body() {
    let order = fixture("woocommerce/order-real-processing-coupon-fee.json");
    let out = woonox(&["map", "order", order.to_str().unwrap(), "--customer-number", "1042"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = stdout_json(&out);
    assert_eq!(body["Order"]["ExternalInvoiceReference1"], "woonox:woo:22");
    assert_eq!(body["Order"]["CustomerNumber"], "1042");
}

#[test]
fn map_reads_standard_input_without_a_file() {
    let order = std::fs::read_to_string(fixture("woocommerce/order-real-guest-variation.json")).unwrap();
    let out = woonox(&["map", "customer"], Some(&order));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["Customer"]["Email"], "bertil@example.se");
}

#[test]
fn settings_change_the_document() {
    let dir = tempdir();
    let settings = dir.join("woonox.toml");
    std::fs::write(&settings, "store-id = \"butik\"\n[order]\ndocument = \"invoice\"\n").unwrap();
    let order = fixture("woocommerce/order-real-processing-coupon-fee.json");
    let out = woonox(&["--settings", settings.to_str().unwrap(), "map", "order", order.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = stdout_json(&out);
    assert_eq!(body["Invoice"]["ExternalInvoiceReference1"], "woonox:butik:22");
    assert!(body["Invoice"]["InvoiceRows"].is_array());
    assert!(body["Invoice"]["InvoiceRows"][0].get("OrderedQuantity").is_none());
}

#[test]
fn an_unknown_vat_rate_is_one_clear_line_and_exit_2() {
    let order = fixture("woocommerce/order-docs-us-state-tax.json");
    let out = woonox(&["map", "order", order.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out).trim(),
        "error: line 1 (\"Woo Single #1\"): tax 0.45 on 6.00 is 7.5%, not a Fortnox VAT rate"
    );
}

#[test]
fn malformed_json_exits_2_and_says_so() {
    let out = woonox(&["map", "order"], Some("{\"id\": 1, "));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not valid JSON"), "{}", stderr(&out));
}

#[test]
fn a_missing_input_file_exits_2_naming_it() {
    let out = woonox(&["map", "product", "/nonexistent/article.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/article.json"), "{}", stderr(&out));
}

#[test]
fn a_misspelt_setting_exits_2_naming_it() {
    let dir = tempdir();
    let settings = dir.join("woonox.toml");
    std::fs::write(&settings, "[order]\nrounding-tolerence = \"1\"\n").unwrap();
    let out = woonox(&["--settings", settings.to_str().unwrap(), "map", "order"], Some("{}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("rounding-tolerence"), "{}", stderr(&out));
}

#[test]
fn reconcile_stock_prints_the_updates() {
    let fortnox = fixture("fortnox/articles-list.json");
    let woo = fixture("woocommerce/variations-real.json");
    let out = woonox(&["reconcile-stock", fortnox.to_str().unwrap(), woo.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = stdout_json(&out);
    assert_eq!(plan["updates"][0]["sku"], "FNX-2000-M");
    assert_eq!(plan["updates"][0]["stock_quantity"], "3");
    assert_eq!(plan["only_in_woo"], serde_json::json!(["FNX-2000-S"]));
}

#[test]
fn a_panicking_plugin_exits_1_and_says_what_trapped() {
    let out = woonox(&["--plugin", env!("WOONOX_TEST_PLUGIN_WASM"), "map", "order"], Some("panic"));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("the plugin failed: it panicked"), "{err}");
    assert!(err.contains("deliberate panic in the test plugin"), "{err}");
}

#[test]
fn a_file_that_is_not_a_component_exits_1() {
    let dir = tempdir();
    let bogus = dir.join("bogus.wasm");
    std::fs::write(&bogus, b"not wasm").unwrap();
    let out = woonox(&["--plugin", bogus.to_str().unwrap(), "map", "order"], Some("{}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not a valid WebAssembly component"), "{}", stderr(&out));
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir =
        std::env::temp_dir().join(format!("woonox-cli-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A JSON array, as `GET /orders` returns it, maps every order in one call; each answer is
/// what `map order` gives for that order alone (the recorded store holds one order that
/// cannot be mapped: a line with neither SKU nor name).
#[test]
fn a_list_of_orders_maps_each_as_it_maps_alone() {
    let list = fixture("woocommerce/orders-real-all.json");
    let orders: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&list).unwrap()).unwrap();
    let out = woonox(&["map", "order", list.to_str().unwrap(), "--customer-number", "7"], None);
    let answers = stdout_json(&out);
    assert_eq!(answers.as_array().unwrap().len(), orders.len());
    let mut failed = 0;
    for (order, answer) in orders.iter().zip(answers.as_array().unwrap()) {
        let alone = woonox(&["map", "order", "--customer-number", "7"], Some(&order.to_string()));
        match alone.status.code() {
            Some(0) => assert_eq!(&stdout_json(&alone), answer, "order {}", order["id"]),
            Some(2) => {
                failed += 1;
                let error = answer["error"].as_str().unwrap_or_else(|| panic!("order {}: {answer}", order["id"]));
                assert_eq!(stderr(&alone).trim(), format!("error: {error}"));
            }
            code => panic!("order {}: exit {code:?}: {}", order["id"], stderr(&alone)),
        }
    }
    assert!(failed < orders.len() - 1, "most of the recorded orders map");
    assert_eq!(out.status.code(), Some(if failed > 0 { 2 } else { 0 }), "{}", stderr(&out));
}

/// An order that cannot be mapped fails alone: the others are printed, its place says why,
/// and the command exits 2 so no script takes the list for whole.
#[test]
fn a_bad_order_in_a_list_fails_alone_and_exits_2() {
    let good = std::fs::read_to_string(fixture("woocommerce/order-real-processing-coupon-fee.json")).unwrap();
    let bad = std::fs::read_to_string(fixture("woocommerce/order-docs-us-state-tax.json")).unwrap();
    let out = woonox(&["map", "order"], Some(&format!("[{good}, {bad}, {good}]")));
    assert_eq!(out.status.code(), Some(2));
    let answers = stdout_json(&out);
    assert_eq!(answers[0]["Order"]["ExternalInvoiceReference1"], "woonox:woo:22");
    assert_eq!(answers[2], answers[0]);
    assert!(answers[1]["error"].as_str().unwrap().contains("not a Fortnox VAT rate"), "{answers}");
    assert!(stderr(&out).contains("order 727 (item 2): line 1"), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 of the items could not be mapped"), "{}", stderr(&out));
}
