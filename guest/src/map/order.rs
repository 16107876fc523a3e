//! A WooCommerce order → a Fortnox Order (or Invoice) that comes to the same total.

use super::document_total;
use super::rows::{Priced, Row, split};
use super::tax_split::{RatePart, rate_parts};
use super::text::clean;
use super::vat::{line_rate, vat_type};
use super::{fortnox_number, rows::round2};
use crate::error::{MapError, Mapped};
use crate::model::{decode, woo};
use crate::settings::{DocumentKind, MissingSku, Settings, ShippingMode, VatMode, VatType};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

const MAX_ARTICLE_NUMBER: usize = 50;

/// The exactly-once key stamped on the Fortnox document (`ExternalInvoiceReference1`).
pub fn external_reference(store_id: &str, order_id: u64) -> String {
    format!("woonox:{store_id}:{order_id}")
}

pub fn map_order(json: &str, customer_number: Option<&str>, settings: &Settings) -> Result<Mapped, MapError> {
    settings.validate()?;
    let order: woo::Order = decode(json, "the WooCommerce order", None)?;
    let mut ctx = Context::new(&order, settings);
    let woo_total = order.total.ok_or_else(|| MapError::field("total", "missing"))?;
    if order.line_items.is_empty() {
        return Err(MapError::field("line_items", "the order has no line items"));
    }
    let mut rows = Vec::new();
    for (i, line) in order.line_items.iter().enumerate() {
        rows.extend(ctx.line_rows(i + 1, line)?);
    }
    let mut freight = Decimal::ZERO;
    for line in &order.shipping_lines {
        match settings.order.shipping {
            ShippingMode::Row => rows.extend(ctx.shipping_rows(line)?),
            ShippingMode::Freight => freight += ctx.freight(line)?,
        }
    }
    for (i, fee) in order.fee_lines.iter().enumerate() {
        rows.extend(ctx.fee_rows(i + 1, fee)?);
    }
    if let Some(row) = ctx.coupon_row() {
        rows.push(row);
    }
    let totals = document_total::compute(&rows, ctx.vat_included, freight, settings.order.freight_vat_rate);
    let difference = woo_total - totals.total;
    if difference.abs() > settings.order.rounding_tolerance {
        return Err(MapError::TotalsMismatch {
            woo_total,
            fortnox_total: totals.total,
            tolerance: settings.order.rounding_tolerance,
        });
    }
    if !difference.is_zero() {
        rows.push(ctx.rounding_row(difference));
    }
    let body = ctx.document(customer_number, &rows, freight)?;
    Ok(Mapped { body, warnings: ctx.warnings })
}

struct Context<'a> {
    order: &'a woo::Order,
    settings: &'a Settings,
    vat_included: bool,
    vat_type: VatType,
    warnings: Vec<String>,
}

impl<'a> Context<'a> {
    fn new(order: &'a woo::Order, settings: &'a Settings) -> Self {
        let vat_included = match settings.order.prices {
            VatMode::Auto => order.prices_include_tax,
            VatMode::Included => true,
            VatMode::Excluded => false,
        };
        let vat_number = woo::meta_text(&order.meta_data, &settings.customer.vat_number_meta_key);
        let country = order.billing.country.as_deref().unwrap_or_default();
        Context {
            order,
            settings,
            vat_included,
            vat_type: vat_type(country, vat_number.as_deref(), &settings.customer.home_country),
            warnings: Vec::new(),
        }
    }

    fn description(&self, text: &str) -> String {
        clean(text, self.settings.order.row_description_max as usize)
    }

    /// The row amount in the document's convention: with or without VAT.
    fn amount(&self, net: Decimal, tax: Decimal) -> Decimal {
        if self.vat_included { net + tax } else { net }
    }

    fn line_rows(&mut self, n: usize, line: &woo::LineItem) -> Result<Vec<Row>, MapError> {
        let sku = line.sku.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let field = match sku {
            Some(sku) => format!("line {n} (SKU {sku})"),
            None => format!("line {n} ({:?})", line.name),
        };
        let quantity = line.quantity.ok_or_else(|| MapError::field(&field, "quantity is missing"))?;
        if quantity <= Decimal::ZERO {
            return Err(MapError::field(&field, format!("quantity {quantity} is not positive")));
        }
        let net = line.total.ok_or_else(|| MapError::field(&field, "total is missing"))?;
        let tax = line.total_tax.unwrap_or_default();
        let vat = line_rate(&field, net, tax, &line.taxes, &self.order.tax_lines)?;
        let article_number = match sku {
            Some(sku) if sku.chars().count() > MAX_ARTICLE_NUMBER => {
                return Err(MapError::field(
                    &field,
                    format!("SKU is longer than Fortnox's {MAX_ARTICLE_NUMBER} characters"),
                ));
            }
            Some(sku) => Some(sku.to_owned()),
            None if self.settings.order.missing_sku == MissingSku::Error => {
                return Err(MapError::field(&field, "has no SKU (setting order.missing-sku = \"error\")"));
            }
            None => {
                self.warnings.push(format!("{field}: no SKU, sent as a row without article"));
                None
            }
        };
        let description = self.description(&line.name);
        if article_number.is_none() && description.is_empty() {
            return Err(MapError::field(&field, "has neither SKU nor name; a Fortnox row needs one of them"));
        }
        let account = self.settings.order.sales_account(self.vat_type, vat);
        Ok(split(self.amount(net, tax), quantity)
            .into_iter()
            .map(|priced| Row {
                article_number: article_number.clone(),
                description: description.clone(),
                priced: Some(priced),
                vat,
                account,
            })
            .collect())
    }

    /// One row per VAT rate actually charged on the shipping line.
    fn shipping_rows(&mut self, line: &woo::ShippingLine) -> Result<Vec<Row>, MapError> {
        let title = if line.method_title.trim().is_empty() { "Frakt" } else { &line.method_title };
        let description = self.description(title);
        let field = format!("shipping {title:?}");
        let net = line.total.unwrap_or_default();
        let tax = line.total_tax.unwrap_or_default();
        if net.is_zero() && tax.is_zero() {
            return Ok(vec![Row::text(description)]);
        }
        let parts = rate_parts(&field, net, tax, &line.taxes, &self.order.tax_lines)?;
        let (article, account) = (self.settings.order.shipping_article.clone(), self.settings.order.shipping_account);
        Ok(self.rate_rows(parts, description, article, account))
    }

    /// A row per part, each at its rate; `account` overrides the sales account matrix.
    fn rate_rows(
        &self,
        parts: Vec<RatePart>,
        description: String,
        article_number: Option<String>,
        account: Option<u32>,
    ) -> Vec<Row> {
        parts
            .into_iter()
            .map(|(net, tax, vat)| Row {
                article_number: article_number.clone(),
                description: description.clone(),
                priced: Some(Priced { quantity: Decimal::ONE, price: round2(self.amount(net, tax)) }),
                vat,
                account: account.or_else(|| self.settings.order.sales_account(self.vat_type, vat)),
            })
            .collect()
    }

    fn freight(&mut self, line: &woo::ShippingLine) -> Result<Decimal, MapError> {
        let net = line.total.unwrap_or_default();
        let tax = line.total_tax.unwrap_or_default();
        let field = format!("shipping {:?}", line.method_title);
        let rate = self.settings.order.freight_vat_rate;
        if !net.is_zero() && line_rate(&field, net, tax, &line.taxes, &self.order.tax_lines).ok() != Some(rate) {
            self.warnings.push(format!(
                "{field}: WooCommerce charged {tax} VAT but Fortnox puts {rate}% on Freight; the difference goes to the rounding row"
            ));
        }
        Ok(net)
    }

    /// One row per VAT rate the fee carries: a discount fee's tax is spread over the rates.
    fn fee_rows(&mut self, n: usize, fee: &woo::FeeLine) -> Result<Vec<Row>, MapError> {
        let field = format!("fee {n} ({:?})", fee.name);
        let net = fee.total.ok_or_else(|| MapError::field(&field, "total is missing"))?;
        let tax = fee.total_tax.unwrap_or_default();
        let parts = rate_parts(&field, net, tax, &fee.taxes, &self.order.tax_lines)?;
        let name = if fee.name.trim().is_empty() { "Avgift" } else { &fee.name };
        Ok(self.rate_rows(parts, self.description(name), None, self.settings.order.fee_account))
    }

    fn coupon_row(&self) -> Option<Row> {
        let codes: Vec<&str> =
            self.order.coupon_lines.iter().map(|c| c.code.trim()).filter(|c| !c.is_empty()).collect();
        if !self.settings.order.coupon_row || codes.is_empty() {
            return None;
        }
        Some(Row::text(self.description(&format!("{}: {}", self.settings.order.coupon_row_prefix, codes.join(", ")))))
    }

    fn rounding_row(&self, difference: Decimal) -> Row {
        Row {
            article_number: None,
            description: self.description(&self.settings.order.rounding_description),
            priced: Some(Priced { quantity: Decimal::ONE, price: difference }),
            vat: 0,
            account: Some(self.settings.order.rounding_account),
        }
    }

    fn document(&self, customer_number: Option<&str>, rows: &[Row], freight: Decimal) -> Result<Value, MapError> {
        let order = self.order;
        let kind = self.settings.order.document;
        let mut doc = Map::new();
        if let Some(number) = customer_number {
            doc.insert("CustomerNumber".into(), Value::from(number));
        }
        let (date_key, rows_key, wrapper) = match kind {
            DocumentKind::Order => ("OrderDate", "OrderRows", "Order"),
            DocumentKind::Invoice => ("InvoiceDate", "InvoiceRows", "Invoice"),
        };
        doc.insert(date_key.into(), Value::from(order_date(order)?));
        let currency = if order.currency.trim().is_empty() {
            self.settings.customer.default_currency.clone()
        } else {
            order.currency.trim().to_ascii_uppercase()
        };
        if currency != "SEK"
            && let Some(rate) = self.settings.order.currency_rate(&currency)
        {
            doc.insert("CurrencyRate".into(), fortnox_number(rate));
            doc.insert("CurrencyUnit".into(), Value::from(1));
        }
        doc.insert("Currency".into(), Value::from(currency));
        doc.insert("VATIncluded".into(), Value::from(self.vat_included));
        let number = if order.number.trim().is_empty() { order.id.to_string() } else { order.number.clone() };
        doc.insert("YourOrderNumber".into(), Value::from(clean(&number, 30)));
        doc.insert(
            "ExternalInvoiceReference1".into(),
            Value::from(external_reference(&self.settings.store_id, order.id)),
        );
        if let Some(note) = order.customer_note.as_deref().map(|n| clean(n, 1024)).filter(|n| !n.is_empty()) {
            doc.insert("Remarks".into(), Value::from(note));
        }
        if self.settings.order.shipping == ShippingMode::Freight {
            doc.insert("Freight".into(), fortnox_number(freight));
        }
        insert_delivery_address(&mut doc, &order.shipping);
        doc.insert(rows_key.into(), Value::Array(rows.iter().map(|r| r.to_json(kind)).collect()));
        Ok(Value::Object(Map::from_iter([(wrapper.to_owned(), Value::Object(doc))])))
    }
}

/// The order's date in the store's time zone (`date_created`), as Fortnox wants it.
fn order_date(order: &woo::Order) -> Result<String, MapError> {
    let created = order.date_created.as_deref().or(order.date_created_gmt.as_deref()).unwrap_or_default();
    let date = created.get(..10).unwrap_or_default();
    let valid = date.len() == 10
        && date.char_indices().all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    if !valid {
        return Err(MapError::field("date_created", format!("{created:?} is not a date")));
    }
    Ok(date.to_owned())
}

fn insert_delivery_address(doc: &mut Map<String, Value>, shipping: &woo::Address) {
    let name = [shipping.first_name.as_deref(), shipping.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let company = shipping.company.as_deref().unwrap_or_default().trim();
    let fields = [
        ("DeliveryName", if company.is_empty() { name.as_str() } else { company }, 1024),
        ("DeliveryAddress1", shipping.address_1.as_deref().unwrap_or_default(), 1024),
        ("DeliveryAddress2", shipping.address_2.as_deref().unwrap_or_default(), 1024),
        ("DeliveryCity", shipping.city.as_deref().unwrap_or_default(), 1024),
        ("DeliveryZipCode", shipping.postcode.as_deref().unwrap_or_default(), 10),
    ];
    for (key, value, max) in fields {
        let value = clean(value, max);
        if !value.is_empty() {
            doc.insert(key.into(), Value::from(value));
        }
    }
}
