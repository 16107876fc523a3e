//! A Fortnox article plus its price-list price → a WooCommerce product body.
//!
//! `Article.SalesPrice` is read-only in Fortnox and not what the merchant maintains, so
//! the price always comes from the configured price list.

use super::woo_money;
use crate::error::{MapError, Mapped};
use crate::model::{decode, fortnox};
use crate::settings::{DimensionUnit, ProductSettings, Settings, WeightUnit};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

/// Meta key on WooCommerce products that records the Fortnox article number.
pub const ARTICLE_META_KEY: &str = "_fortnox_article_number";

pub fn map_product(article_json: &str, price_json: Option<&str>, settings: &Settings) -> Result<Mapped, MapError> {
    settings.validate()?;
    let article: fortnox::Article = decode(article_json, "the Fortnox article", Some("Article"))?;
    let sku = article.article_number.trim();
    if sku.is_empty() {
        return Err(MapError::field("ArticleNumber", "missing"));
    }
    let mut warnings = Vec::new();
    let mut p = Map::new();
    p.insert("sku".into(), Value::from(sku));
    let name = if article.description.trim().is_empty() { sku } else { article.description.trim() };
    p.insert("name".into(), Value::from(name));
    match price_json {
        Some(json) => {
            let price = price(json, sku, &settings.product)?;
            p.insert("regular_price".into(), woo_money(price));
        }
        None => warnings.push(format!(
            "article {sku}: no price in price list {}; regular_price left as it is",
            settings.product.price_list
        )),
    }
    if settings.product.note_as_description
        && let Some(note) = article.note.as_deref().map(str::trim).filter(|n| !n.is_empty())
    {
        p.insert("description".into(), Value::from(note));
    }
    p.insert("manage_stock".into(), Value::from(article.stock_goods));
    if article.stock_goods {
        p.insert("stock_quantity".into(), stock_quantity(article.available()));
    }
    let listed = article.active.unwrap_or(true) && article.webshop_article && !article.expired;
    p.insert("status".into(), Value::from(if listed { "publish" } else { "draft" }));
    if !article.ean.trim().is_empty() {
        p.insert("global_unique_id".into(), Value::from(article.ean.trim()));
    }
    if let Some(grams) = article.weight.filter(|w| !w.is_zero()) {
        p.insert("weight".into(), Value::from(measure(grams / weight_grams(settings.product.weight_unit))));
    }
    insert_dimensions(&mut p, &article, settings.product.dimension_unit);
    p.insert("meta_data".into(), json!([{ "key": ARTICLE_META_KEY, "value": sku }]));
    Ok(Mapped { body: Value::Object(p), warnings })
}

fn price(json: &str, sku: &str, settings: &ProductSettings) -> Result<Decimal, MapError> {
    let price: fortnox::Price = decode(json, "the Fortnox price", Some("Price"))?;
    if !price.article_number.is_empty() && price.article_number != sku {
        return Err(MapError::field(
            "Price.ArticleNumber",
            format!("{:?} is not article {sku:?}", price.article_number),
        ));
    }
    if !price.price_list.is_empty() && price.price_list != settings.price_list {
        return Err(MapError::field(
            "Price.PriceList",
            format!("{:?} is not the configured price list {:?}", price.price_list, settings.price_list),
        ));
    }
    match price.price {
        Some(p) if p >= Decimal::ZERO => Ok(p),
        Some(p) => Err(MapError::field("Price.Price", format!("{p} is negative"))),
        None => Err(MapError::field("Price.Price", "missing")),
    }
}

/// WooCommerce stock is whole units; a fractional Fortnox level is rounded down so the
/// store never offers what is not there.
pub fn whole_units(quantity: Decimal) -> Decimal {
    quantity.floor()
}

fn stock_quantity(quantity: Decimal) -> Value {
    Value::from(i64::try_from(whole_units(quantity)).unwrap_or(0))
}

fn weight_grams(unit: WeightUnit) -> Decimal {
    match unit {
        WeightUnit::Kg => Decimal::from(1000),
        WeightUnit::G => Decimal::ONE,
        WeightUnit::Lbs => Decimal::new(45359237, 5),
        WeightUnit::Oz => Decimal::new(28349523125, 9),
    }
}

fn dimension_mm(unit: DimensionUnit) -> Decimal {
    match unit {
        DimensionUnit::M => Decimal::from(1000),
        DimensionUnit::Cm => Decimal::from(10),
        DimensionUnit::Mm => Decimal::ONE,
        DimensionUnit::In => Decimal::new(254, 1),
        DimensionUnit::Yd => Decimal::new(9144, 1),
    }
}

/// A measurement as WooCommerce stores it: a string, three decimals at most.
fn measure(d: Decimal) -> String {
    d.round_dp(3).normalize().to_string()
}

/// Fortnox keeps millimetres: Depth → length, Width → width, Height → height.
fn insert_dimensions(p: &mut Map<String, Value>, article: &fortnox::Article, unit: DimensionUnit) {
    let sizes = [("length", article.depth), ("width", article.width), ("height", article.height)];
    if sizes.iter().all(|(_, v)| v.is_none_or(|v| v.is_zero())) {
        return;
    }
    let dims: Map<String, Value> = sizes
        .into_iter()
        .map(|(k, v)| {
            let text = v.filter(|v| !v.is_zero()).map(|mm| measure(mm / dimension_mm(unit))).unwrap_or_default();
            (k.to_owned(), Value::from(text))
        })
        .collect();
    p.insert("dimensions".into(), Value::Object(dims));
}
