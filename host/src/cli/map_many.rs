//! `woonox map` given a JSON array (as the list endpoints return it): every item mapped in
//! one call through the component's `mapper`, the answers printed as one array in order.

use super::BadInput;
use super::map_io::{answer_or_bad_input, print_json};
use anyhow::{Context, Result};
use woonox::runtime::bindings::wit;
use woonox::runtime::bindings::wit_mapping::{OrderInput, ProductInput};
use woonox::runtime::plugin::{Answers, Plugin};
use woonox_guest::Settings;

#[derive(Clone, Copy)]
pub enum Kind {
    Order,
    Customer,
    Product,
}

/// The items of `input` when it is a JSON array; `None` for anything else, which the
/// one-item mapping reads (and words its own error for).
pub fn items(input: &str) -> Option<Vec<String>> {
    let serde_json::Value::Array(items) = serde_json::from_str(input).ok()? else { return None };
    Some(items.iter().map(|item| item.to_string()).collect())
}

/// Maps every item and prints a JSON array: each item's body, or `{"error": …}` where the
/// item could not be mapped. Any such item makes the command fail after printing, so a
/// script never takes a partial answer for a whole one.
pub async fn map_many(
    plugin: &Plugin,
    kind: Kind,
    items: Vec<String>,
    customer_number: Option<&str>,
    settings: &Settings,
) -> Result<()> {
    let answers: Answers<wit::Mapped> = match kind {
        Kind::Order => {
            let number = customer_number.map(str::to_owned);
            let inputs: Vec<OrderInput> =
                items.into_iter().map(|order| OrderInput { order, customer_number: number.clone() }).collect();
            plugin.map_orders(&inputs, settings).await?
        }
        Kind::Customer => plugin.map_customers(&items, settings).await?,
        Kind::Product => {
            let inputs: Vec<ProductInput> =
                items.into_iter().map(|article| ProductInput { article, price: None }).collect();
            plugin.map_products(&inputs, settings).await?
        }
    };
    let answers = answer_or_bad_input(answers)?;
    let mut out = Vec::with_capacity(answers.len());
    let mut failed = 0;
    for (i, answer) in answers.into_iter().enumerate() {
        match answer {
            Ok(mapped) => {
                for warning in &mapped.warnings {
                    eprintln!("warning: item {}: {warning}", i + 1);
                }
                out.push(serde_json::from_str(&mapped.body).context("the plugin returned a body that is not JSON")?);
            }
            Err(e) => {
                failed += 1;
                eprintln!("item {}: {e}", i + 1);
                out.push(serde_json::json!({ "error": e.to_string() }));
            }
        }
    }
    print_json(&serde_json::Value::Array(out))?;
    if failed > 0 {
        return Err(BadInput(format!("{failed} of the items could not be mapped (their errors are above)")).into());
    }
    Ok(())
}
