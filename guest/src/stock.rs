//! reconcile-stock: the fewest WooCommerce writes that make its stock equal Fortnox's.
//!
//! Levels are absolute: an update says "the level is N", never "add N", so a repeated or
//! late update cannot drift the store.

use crate::error::MapError;
use crate::map::product::whole_units;
use crate::model::woo::{self, ManageStock};
use crate::model::{decode, fortnox};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// A Fortnox article's available quantity; `None` for an article that is not stock goods.
#[derive(Debug, Clone, PartialEq)]
pub struct FortnoxLevel {
    pub sku: String,
    pub quantity: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WooLevel {
    pub sku: String,
    pub product_id: u64,
    pub parent_id: Option<u64>,
    pub quantity: Option<Decimal>,
    pub manage_stock: ManageStock,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StockUpdate {
    pub sku: String,
    pub product_id: u64,
    pub parent_id: Option<u64>,
    pub quantity: Decimal,
    pub enable_manage_stock: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StockPlan {
    pub updates: Vec<StockUpdate>,
    pub only_in_fortnox: Vec<String>,
    pub only_in_woo: Vec<String>,
}

/// Updates for every WooCommerce item whose level differs from Fortnox's, in SKU order.
pub fn reconcile(fortnox: &[FortnoxLevel], woo: &[WooLevel]) -> StockPlan {
    let levels: BTreeMap<&str, Option<Decimal>> =
        fortnox.iter().rev().map(|l| (l.sku.as_str(), l.quantity.map(whole_units))).collect();
    let woo_skus: BTreeSet<&str> = woo.iter().map(|w| w.sku.as_str()).collect();
    let mut plan = StockPlan::default();
    let mut sorted: Vec<&WooLevel> = woo.iter().collect();
    sorted.sort_by(|a, b| (a.sku.as_str(), a.product_id).cmp(&(b.sku.as_str(), b.product_id)));
    for item in sorted {
        match levels.get(item.sku.as_str()) {
            None => plan.only_in_woo.push(item.sku.clone()),
            Some(None) => {}
            Some(Some(level)) => {
                let managed = item.manage_stock == ManageStock::Yes;
                if !managed || item.quantity.map(whole_units) != Some(*level) {
                    plan.updates.push(StockUpdate {
                        sku: item.sku.clone(),
                        product_id: item.product_id,
                        parent_id: item.parent_id,
                        quantity: *level,
                        enable_manage_stock: !managed,
                    });
                }
            }
        }
    }
    plan.only_in_woo.dedup();
    plan.only_in_fortnox = levels
        .iter()
        .filter(|(sku, q)| q.is_some() && !woo_skus.contains(*sku))
        .map(|(sku, _)| (*sku).to_owned())
        .collect();
    plan
}

/// One row of Fortnox's warehouse stock balance (`/api/warehouse/status-v1/stockbalance`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StockBalance {
    item_id: String,
    #[serde(default, deserialize_with = "crate::lenient::decimal")]
    available_stock: Option<Decimal>,
}

/// Fortnox levels from `{"Articles": […]}`, a list of articles, or a warehouse stock
/// balance list (summed per article over the stock points it lists).
pub fn fortnox_levels(json: &str) -> Result<Vec<FortnoxLevel>, MapError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| MapError::from_json("the Fortnox stock is not valid JSON", e))?;
    let is_balance = value.as_array().and_then(|a| a.first()).is_some_and(|first| first.get("itemId").is_some());
    if is_balance {
        let rows: Vec<StockBalance> = decode(json, "the Fortnox stock balance", None)?;
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        for row in rows {
            *sums.entry(row.item_id).or_default() += row.available_stock.unwrap_or_default();
        }
        return Ok(sums.into_iter().map(|(sku, q)| FortnoxLevel { sku, quantity: Some(q) }).collect());
    }
    let articles: Vec<fortnox::Article> = if value.is_array() {
        decode(json, "the Fortnox articles", None)?
    } else {
        decode::<fortnox::ArticleList>(json, "the Fortnox articles", None)?.articles
    };
    Ok(articles.into_iter().filter_map(fortnox_level).collect())
}

/// WooCommerce levels from a JSON array of products and variations; items without SKU
/// cannot be matched and are left out.
pub fn woo_levels(json: &str) -> Result<Vec<WooLevel>, MapError> {
    let products: Vec<woo::Product> = decode(json, "the WooCommerce products", None)?;
    Ok(products.into_iter().filter_map(woo_level).collect())
}

/// A product's or variation's level; `None` without a SKU (it cannot be matched).
pub fn woo_level(p: woo::Product) -> Option<WooLevel> {
    let sku = p.sku.as_deref().map(str::trim).filter(|s| !s.is_empty())?.to_owned();
    Some(WooLevel {
        sku,
        product_id: p.id,
        parent_id: (p.parent_id != 0).then_some(p.parent_id),
        quantity: p.stock_quantity,
        manage_stock: p.manage_stock,
    })
}

/// A Fortnox article's level; articles that are not stock goods carry none.
pub fn fortnox_level(a: fortnox::Article) -> Option<FortnoxLevel> {
    let sku = a.article_number.trim().to_owned();
    (!sku.is_empty()).then(|| FortnoxLevel { quantity: a.stock_goods.then(|| a.available()), sku })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What WooCommerce holds after the plan's updates are written.
    fn apply(woo: &[WooLevel], plan: &StockPlan) -> Vec<WooLevel> {
        woo.iter()
            .map(|w| match plan.updates.iter().find(|u| u.product_id == w.product_id && u.sku == w.sku) {
                Some(u) => WooLevel { quantity: Some(u.quantity), manage_stock: ManageStock::Yes, ..w.clone() },
                None => w.clone(),
            })
            .collect()
    }

    fn sides() -> impl Strategy<Value = (Vec<FortnoxLevel>, Vec<WooLevel>)> {
        let sku = 0u8..12;
        let fortnox = prop::collection::vec((sku.clone(), prop::option::weighted(0.9, -50i64..500)), 0..12);
        let manage = prop_oneof![Just(ManageStock::Yes), Just(ManageStock::No), Just(ManageStock::Parent)];
        let woo = prop::collection::vec((sku, prop::option::of(-5i64..500), manage, any::<bool>()), 0..12);
        (fortnox, woo).prop_map(|(f, w)| {
            let f = f
                .into_iter()
                .map(|(s, q)| FortnoxLevel { sku: format!("SKU-{s}"), quantity: q.map(|q| Decimal::new(q, 1)) })
                .collect();
            let w = w
                .into_iter()
                .enumerate()
                .map(|(i, (s, q, m, variation))| WooLevel {
                    sku: format!("SKU-{s}"),
                    product_id: 100 + i as u64,
                    parent_id: variation.then_some(1),
                    quantity: q.map(Decimal::from),
                    manage_stock: m,
                })
                .collect();
            (f, w)
        })
    }

    fn equal(level: Option<&Option<Decimal>>, w: &WooLevel) -> bool {
        match level {
            Some(Some(q)) => w.manage_stock == ManageStock::Yes && w.quantity == Some(whole_units(*q)),
            _ => true,
        }
    }

    proptest! {
        #[test]
        fn nothing_already_equal_is_updated((fortnox, woo) in sides()) {
            let levels: BTreeMap<_, _> = fortnox.iter().rev().map(|l| (l.sku.clone(), l.quantity)).collect();
            let plan = reconcile(&fortnox, &woo);
            for u in &plan.updates {
                let w = woo.iter().find(|w| w.product_id == u.product_id).unwrap();
                prop_assert!(!equal(levels.get(&w.sku), w), "updated {w:?} that was already equal");
            }
        }

        #[test]
        fn applying_the_updates_makes_both_sides_equal_and_a_rerun_is_empty((fortnox, woo) in sides()) {
            let levels: BTreeMap<_, _> = fortnox.iter().rev().map(|l| (l.sku.clone(), l.quantity)).collect();
            let plan = reconcile(&fortnox, &woo);
            let after = apply(&woo, &plan);
            for w in &after {
                prop_assert!(equal(levels.get(&w.sku), w), "{w:?} still differs");
            }
            let again = reconcile(&fortnox, &after);
            prop_assert!(again.updates.is_empty(), "second run wrote {:?}", again.updates);
            prop_assert_eq!(again.only_in_fortnox, plan.only_in_fortnox);
        }
    }

    #[test]
    fn one_sided_skus_are_reported() {
        let fortnox = [
            FortnoxLevel { sku: "A".into(), quantity: Some(Decimal::from(3)) },
            FortnoxLevel { sku: "SERVICE".into(), quantity: None },
        ];
        let woo = [WooLevel {
            sku: "B".into(),
            product_id: 7,
            parent_id: None,
            quantity: Some(Decimal::ONE),
            manage_stock: ManageStock::Yes,
        }];
        let plan = reconcile(&fortnox, &woo);
        assert!(plan.updates.is_empty());
        assert_eq!(plan.only_in_fortnox, vec!["A".to_owned()]);
        assert_eq!(plan.only_in_woo, vec!["B".to_owned()]);
    }

    #[test]
    fn warehouse_balances_are_summed_over_stock_points() {
        let json = r#"[{"itemId":"A","stockPointCode":"MAIN","inStock":12.0,"availableStock":10.0},
                       {"itemId":"A","stockPointCode":"SHOP","inStock":3,"availableStock":"2.5"}]"#;
        let levels = fortnox_levels(json).unwrap();
        assert_eq!(levels, vec![FortnoxLevel { sku: "A".into(), quantity: Some(Decimal::new(125, 1)) }]);
    }
}
