//! The `mapping` export: WIT types to native ones and back; nothing here decides anything.

use super::Component;
use super::batch::Batch;
use super::exports::woonox::connector::mapping::Guest;
use super::woonox::connector::types as wit;
use crate::error::{MapError, Mapped};
use crate::settings as native;
use crate::stock;

impl Guest for Component {
    type Mapper = Batch;

    fn map_order(
        order: String,
        customer_number: Option<String>,
        settings: wit::Settings,
    ) -> Result<wit::Mapped, wit::MapError> {
        finish(crate::map_order(&order, customer_number.as_deref(), &settings_from(settings)?))
    }

    fn map_customer(customer_or_order: String, settings: wit::Settings) -> Result<wit::Mapped, wit::MapError> {
        finish(crate::map_customer(&customer_or_order, &settings_from(settings)?))
    }

    fn map_product(
        article: String,
        price: Option<String>,
        settings: wit::Settings,
    ) -> Result<wit::Mapped, wit::MapError> {
        finish(crate::map_product(&article, price.as_deref(), &settings_from(settings)?))
    }

    fn reconcile_stock(
        fortnox: String,
        woo: String,
        _settings: wit::Settings,
    ) -> Result<wit::StockPlan, wit::MapError> {
        stock_plan(&fortnox, &woo)
    }

    fn map_invoice(_invoice: String, _settings: wit::Settings) -> Result<wit::Mapped, wit::MapError> {
        Err(error(crate::not_yet_supported("map-invoice")))
    }

    fn map_credit_note(_credit_invoice: String, _settings: wit::Settings) -> Result<wit::Mapped, wit::MapError> {
        Err(error(crate::not_yet_supported("map-credit-note")))
    }

    fn map_refund(_refund: String, _order: String, _settings: wit::Settings) -> Result<wit::Mapped, wit::MapError> {
        Err(error(crate::not_yet_supported("map-refund")))
    }
}

pub(super) fn stock_plan(fortnox: &str, woo: &str) -> Result<wit::StockPlan, wit::MapError> {
    let plan =
        stock::reconcile(&stock::fortnox_levels(fortnox).map_err(error)?, &stock::woo_levels(woo).map_err(error)?);
    Ok(wit::StockPlan {
        updates: plan
            .updates
            .into_iter()
            .map(|u| wit::StockUpdate {
                sku: u.sku,
                product_id: u.product_id,
                parent_id: u.parent_id,
                quantity: u.quantity.to_string(),
                enable_manage_stock: u.enable_manage_stock,
            })
            .collect(),
        only_in_fortnox: plan.only_in_fortnox,
        only_in_woo: plan.only_in_woo,
    })
}

pub(super) fn finish(result: Result<Mapped, MapError>) -> Result<wit::Mapped, wit::MapError> {
    let mapped = result.map_err(error)?;
    // `to_string` would go through `fmt::Display` and its byte-by-byte adapter: perf showed
    // that path at a sixth of the component's time (BENCHMARKS.md, "Profiling the component").
    let body = serde_json::to_string(&mapped.body).expect("a JSON value always serializes");
    Ok(wit::Mapped { body, warnings: mapped.warnings })
}

pub(super) fn error(e: MapError) -> wit::MapError {
    match e {
        MapError::InvalidInput(msg) => wit::MapError::InvalidInput(msg),
        MapError::InvalidField { field, reason } => wit::MapError::InvalidField(wit::FieldError { field, reason }),
        MapError::TotalsMismatch { woo_total, fortnox_total, tolerance } => {
            wit::MapError::TotalsMismatch(wit::TotalsMismatch {
                woo_total: woo_total.to_string(),
                fortnox_total: fortnox_total.to_string(),
                tolerance: tolerance.to_string(),
            })
        }
        MapError::NotYetSupported(what) => wit::MapError::NotYetSupported(what),
    }
}

fn decimal(field: &str, value: &str) -> Result<rust_decimal::Decimal, wit::MapError> {
    value
        .trim()
        .parse()
        .map_err(|_| error(MapError::field(format!("settings {field}"), format!("{value:?} is not a decimal number"))))
}

pub(super) fn settings_from(s: wit::Settings) -> Result<native::Settings, wit::MapError> {
    let o = s.order;
    let currency_rates = o
        .currency_rates
        .into_iter()
        .map(|r| Ok(native::CurrencyRate { rate: decimal("order.currency-rates", &r.rate)?, currency: r.currency }))
        .collect::<Result<_, wit::MapError>>()?;
    let order = native::OrderSettings {
        document: match o.document {
            wit::DocumentKind::Order => native::DocumentKind::Order,
            wit::DocumentKind::Invoice => native::DocumentKind::Invoice,
        },
        prices: match o.prices {
            wit::VatMode::Auto => native::VatMode::Auto,
            wit::VatMode::Excluded => native::VatMode::Excluded,
            wit::VatMode::Included => native::VatMode::Included,
        },
        shipping: match o.shipping {
            wit::ShippingMode::Row => native::ShippingMode::Row,
            wit::ShippingMode::Freight => native::ShippingMode::Freight,
        },
        shipping_article: o.shipping_article,
        shipping_account: o.shipping_account,
        freight_vat_rate: o.freight_vat_rate,
        fee_account: o.fee_account,
        missing_sku: match o.missing_sku {
            wit::MissingSku::TextRow => native::MissingSku::TextRow,
            wit::MissingSku::Error => native::MissingSku::Error,
        },
        coupon_row: o.coupon_row,
        coupon_row_prefix: o.coupon_row_prefix,
        rounding_tolerance: decimal("order.rounding-tolerance", &o.rounding_tolerance)?,
        rounding_account: o.rounding_account,
        rounding_description: o.rounding_description,
        row_description_max: o.row_description_max,
        currency_rates,
        sales_accounts: o
            .sales_accounts
            .into_iter()
            .map(|a| native::SalesAccount { vat_type: vat_type(a.vat_type), vat_rate: a.vat_rate, account: a.account })
            .collect(),
    };
    let c = s.customer;
    let p = s.product;
    Ok(native::Settings {
        store_id: s.store_id,
        order,
        customer: native::CustomerSettings {
            org_number_meta_key: c.org_number_meta_key,
            vat_number_meta_key: c.vat_number_meta_key,
            home_country: c.home_country,
            default_currency: c.default_currency,
        },
        product: native::ProductSettings {
            weight_unit: match p.weight_unit {
                wit::WeightUnit::Kg => native::WeightUnit::Kg,
                wit::WeightUnit::G => native::WeightUnit::G,
                wit::WeightUnit::Lbs => native::WeightUnit::Lbs,
                wit::WeightUnit::Oz => native::WeightUnit::Oz,
            },
            dimension_unit: match p.dimension_unit {
                wit::DimensionUnit::M => native::DimensionUnit::M,
                wit::DimensionUnit::Cm => native::DimensionUnit::Cm,
                wit::DimensionUnit::Mm => native::DimensionUnit::Mm,
                wit::DimensionUnit::In => native::DimensionUnit::In,
                wit::DimensionUnit::Yd => native::DimensionUnit::Yd,
            },
            note_as_description: p.note_as_description,
            price_list: p.price_list,
        },
        flows: flows(s.flows),
    })
}

fn flows(f: wit::FlowSettings) -> native::FlowSettings {
    native::FlowSettings {
        order_statuses: f.order_statuses,
        overlap_minutes: f.overlap_minutes,
        invoice_at_status: f.invoice_at_status,
        bookkeep: f.bookkeep,
        payment_modes: f
            .payment_modes
            .into_iter()
            .map(|m| native::PaymentMode { method: m.method, mode: m.mode, account: m.account })
            .collect(),
        paid_status: f.paid_status,
        webshop_only: f.webshop_only,
        active_only: f.active_only,
        product_fields: f.product_fields,
        stock_source: match f.stock_source {
            wit::StockSource::Disposable => native::StockSource::Disposable,
            wit::StockSource::Warehouse => native::StockSource::Warehouse,
        },
        stock_points: f.stock_points,
        split_amount_refunds: f.split_amount_refunds,
        restock_credited_items: f.restock_credited_items,
        customer_roles: f.customer_roles,
    }
}

fn vat_type(v: wit::VatType) -> native::VatType {
    match v {
        wit::VatType::Sevat => native::VatType::Sevat,
        wit::VatType::Euvat => native::VatType::Euvat,
        wit::VatType::Eureversedvat => native::VatType::Eureversedvat,
        wit::VatType::Export => native::VatType::Export,
    }
}
