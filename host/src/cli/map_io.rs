//! Reading the inputs of `map` and `reconcile-stock`, and printing their answers.

use super::BadInput;
use anyhow::Result;
use std::io::{IsTerminal, Read};
use std::path::Path;
use woonox::runtime::plugin::Answer;

pub fn answer_or_bad_input<T>(answer: Answer<T>) -> Result<T> {
    answer.map_err(|e| BadInput(e.to_string()).into())
}

pub fn read_input(file: Option<&Path>) -> Result<String> {
    if let Some(path) = file {
        return Ok(std::fs::read_to_string(path).map_err(|e| BadInput(format!("cannot read {}: {e}", path.display())))?);
    }
    if std::io::stdin().is_terminal() {
        return Err(BadInput("give a JSON file, or pipe the JSON into standard input".into()).into());
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| BadInput(format!("cannot read standard input: {e}")))?;
    if text.trim().is_empty() {
        return Err(BadInput("standard input is empty; give a JSON file or pipe JSON in".into()).into());
    }
    Ok(text)
}

pub fn print_json(value: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn plan_json(plan: &woonox::runtime::bindings::wit::StockPlan) -> serde_json::Value {
    let updates: Vec<serde_json::Value> = plan
        .updates
        .iter()
        .map(|u| {
            serde_json::json!({
                "sku": u.sku,
                "product_id": u.product_id,
                "parent_id": u.parent_id,
                "stock_quantity": u.quantity,
                "enable_manage_stock": u.enable_manage_stock,
            })
        })
        .collect();
    serde_json::json!({ "updates": updates, "only_in_fortnox": plan.only_in_fortnox, "only_in_woo": plan.only_in_woo })
}
