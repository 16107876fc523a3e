//! The merchant's settings (parsed and defaulted by the guest crate's `Settings`) in the
//! WIT record the component takes.

use crate::runtime::bindings::wit;
use woonox_guest::settings as native;

pub fn to_wit(s: &native::Settings) -> wit::Settings {
    wit::Settings {
        store_id: s.store_id.clone(),
        order: order(&s.order),
        customer: wit::CustomerSettings {
            org_number_meta_key: s.customer.org_number_meta_key.clone(),
            vat_number_meta_key: s.customer.vat_number_meta_key.clone(),
            home_country: s.customer.home_country.clone(),
            default_currency: s.customer.default_currency.clone(),
        },
        product: wit::ProductSettings {
            weight_unit: match s.product.weight_unit {
                native::WeightUnit::Kg => wit::WeightUnit::Kg,
                native::WeightUnit::G => wit::WeightUnit::G,
                native::WeightUnit::Lbs => wit::WeightUnit::Lbs,
                native::WeightUnit::Oz => wit::WeightUnit::Oz,
            },
            dimension_unit: match s.product.dimension_unit {
                native::DimensionUnit::M => wit::DimensionUnit::M,
                native::DimensionUnit::Cm => wit::DimensionUnit::Cm,
                native::DimensionUnit::Mm => wit::DimensionUnit::Mm,
                native::DimensionUnit::In => wit::DimensionUnit::In,
                native::DimensionUnit::Yd => wit::DimensionUnit::Yd,
            },
            note_as_description: s.product.note_as_description,
            price_list: s.product.price_list.clone(),
        },
        flows: flows(&s.flows),
    }
}

fn flows(f: &native::FlowSettings) -> wit::FlowSettings {
    wit::FlowSettings {
        order_statuses: f.order_statuses.clone(),
        overlap_minutes: f.overlap_minutes,
        invoice_at_status: f.invoice_at_status.clone(),
        bookkeep: f.bookkeep,
        payment_modes: f
            .payment_modes
            .iter()
            .map(|m| wit::PaymentMode { method: m.method.clone(), mode: m.mode.clone(), account: m.account })
            .collect(),
        paid_status: f.paid_status.clone(),
        webshop_only: f.webshop_only,
        active_only: f.active_only,
        product_fields: f.product_fields.clone(),
        stock_source: match f.stock_source {
            native::StockSource::Disposable => wit::StockSource::Disposable,
            native::StockSource::Warehouse => wit::StockSource::Warehouse,
        },
        stock_points: f.stock_points.clone(),
        split_amount_refunds: f.split_amount_refunds,
        restock_credited_items: f.restock_credited_items,
        customer_roles: f.customer_roles.clone(),
    }
}

fn order(o: &native::OrderSettings) -> wit::OrderSettings {
    wit::OrderSettings {
        document: match o.document {
            native::DocumentKind::Order => wit::DocumentKind::Order,
            native::DocumentKind::Invoice => wit::DocumentKind::Invoice,
        },
        prices: match o.prices {
            native::VatMode::Auto => wit::VatMode::Auto,
            native::VatMode::Excluded => wit::VatMode::Excluded,
            native::VatMode::Included => wit::VatMode::Included,
        },
        shipping: match o.shipping {
            native::ShippingMode::Row => wit::ShippingMode::Row,
            native::ShippingMode::Freight => wit::ShippingMode::Freight,
        },
        shipping_article: o.shipping_article.clone(),
        shipping_account: o.shipping_account,
        freight_vat_rate: o.freight_vat_rate,
        fee_account: o.fee_account,
        missing_sku: match o.missing_sku {
            native::MissingSku::TextRow => wit::MissingSku::TextRow,
            native::MissingSku::Error => wit::MissingSku::Error,
        },
        coupon_row: o.coupon_row,
        coupon_row_prefix: o.coupon_row_prefix.clone(),
        rounding_tolerance: o.rounding_tolerance.to_string(),
        rounding_account: o.rounding_account,
        rounding_description: o.rounding_description.clone(),
        row_description_max: o.row_description_max,
        currency_rates: o
            .currency_rates
            .iter()
            .map(|r| wit::CurrencyRate { currency: r.currency.clone(), rate: r.rate.to_string() })
            .collect(),
        sales_accounts: o
            .sales_accounts
            .iter()
            .map(|a| wit::SalesAccount {
                vat_type: match a.vat_type {
                    native::VatType::Sevat => wit::VatType::Sevat,
                    native::VatType::Euvat => wit::VatType::Euvat,
                    native::VatType::Eureversedvat => wit::VatType::Eureversedvat,
                    native::VatType::Export => wit::VatType::Export,
                },
                vat_rate: a.vat_rate,
                account: a.account,
            })
            .collect(),
    }
}
