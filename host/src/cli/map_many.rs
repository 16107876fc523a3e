//! `woonox map` given a JSON array (as the list endpoints return it): every item mapped in
//! one call through the component's `mapper`, the answers printed as one array in order.

use super::BadInput;
use super::map_io::{answer_or_bad_input, print_json};
use crate::MapKind as Kind;
use anyhow::{Context, Result};
use woonox::runtime::bindings::wit;
use woonox::runtime::bindings::wit_mapping::{OrderInput, ProductInput};
use woonox::runtime::plugin::{Answers, Plugin};
use woonox_guest::Settings;

/// One item of the list: its JSON, and how messages name it ("order 1042", or "item 3"
/// where it has no id).
pub struct Item {
    json: String,
    label: String,
}

/// The items of `input` when it is a JSON array; `None` for anything else, which the
/// one-item mapping reads (and words its own error for).
pub fn items(input: &str, kind: Kind) -> Option<Vec<Item>> {
    let serde_json::Value::Array(items) = serde_json::from_str(input).ok()? else { return None };
    let noun = match kind {
        Kind::Order => "order",
        Kind::Customer => "customer",
        Kind::Product => "article",
    };
    let label = |i: usize, item: &serde_json::Value| match (&item["id"], &item["Article"]["ArticleNumber"]) {
        (serde_json::Value::Number(id), _) => format!("{noun} {id} (item {})", i + 1),
        (_, serde_json::Value::String(number)) => format!("{noun} {number} (item {})", i + 1),
        _ => format!("item {}", i + 1),
    };
    Some(items.iter().enumerate().map(|(i, item)| Item { json: item.to_string(), label: label(i, item) }).collect())
}

/// Maps every item and prints a JSON array: each item's body, or `{"error": …}` where the
/// item could not be mapped. Any such item makes the command fail after printing, so a
/// script never takes a partial answer for a whole one.
pub async fn map_many(
    plugin: &Plugin,
    kind: Kind,
    items: Vec<Item>,
    customer_number: Option<&str>,
    settings: &Settings,
) -> Result<()> {
    let labels: Vec<String> = items.iter().map(|item| item.label.clone()).collect();
    let items: Vec<String> = items.into_iter().map(|item| item.json).collect();
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
    for (label, answer) in labels.iter().zip(answers) {
        match answer {
            Ok(mapped) => {
                for warning in &mapped.warnings {
                    eprintln!("warning: {label}: {warning}");
                }
                out.push(serde_json::from_str(&mapped.body).context("the plugin returned a body that is not JSON")?);
            }
            Err(e) => {
                failed += 1;
                eprintln!("{label}: {e}");
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
