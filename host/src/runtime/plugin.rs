//! Typed calls into the component's `mapping` interface. Each call gets a fresh instance.

use crate::runtime::Runtime;
use crate::runtime::bindings::wit;
use crate::runtime::wit_settings::to_wit;
use anyhow::Result;
use std::str::FromStr;
use woonox_guest::{MapError, Settings};

/// A mapping's answer: the body and warnings, or what is wrong with the input.
pub type Answer<T> = std::result::Result<T, MapError>;

pub struct Plugin {
    runtime: Runtime,
}

impl Plugin {
    pub fn new(runtime: Runtime) -> Self {
        Plugin { runtime }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub async fn map_order(
        &self,
        order: &str,
        customer: Option<&str>,
        settings: &Settings,
    ) -> Result<Answer<wit::Mapped>> {
        let s = to_wit(settings);
        let answer = self
            .runtime
            .call(async |m, store| Ok(m.woonox_connector_mapping().call_map_order(store, order, customer, &s).await?))
            .await?;
        Ok(answer.map_err(from_wit))
    }

    pub async fn map_customer(&self, input: &str, settings: &Settings) -> Result<Answer<wit::Mapped>> {
        let s = to_wit(settings);
        let answer = self
            .runtime
            .call(async |m, store| Ok(m.woonox_connector_mapping().call_map_customer(store, input, &s).await?))
            .await?;
        Ok(answer.map_err(from_wit))
    }

    pub async fn map_product(
        &self,
        article: &str,
        price: Option<&str>,
        settings: &Settings,
    ) -> Result<Answer<wit::Mapped>> {
        let s = to_wit(settings);
        let answer = self
            .runtime
            .call(async |m, store| Ok(m.woonox_connector_mapping().call_map_product(store, article, price, &s).await?))
            .await?;
        Ok(answer.map_err(from_wit))
    }

    pub async fn reconcile_stock(
        &self,
        fortnox: &str,
        woo: &str,
        settings: &Settings,
    ) -> Result<Answer<wit::StockPlan>> {
        let s = to_wit(settings);
        let answer = self
            .runtime
            .call(async |m, store| {
                Ok(m.woonox_connector_mapping().call_reconcile_stock(store, fortnox, woo, &s).await?)
            })
            .await?;
        Ok(answer.map_err(from_wit))
    }
}

/// The component's typed error as the guest crate's `MapError`, so the host words every
/// error exactly as the native build does.
fn from_wit(e: wit::MapError) -> MapError {
    let decimal = |s: &str| rust_decimal::Decimal::from_str(s).unwrap_or_default();
    match e {
        wit::MapError::InvalidInput(msg) => MapError::InvalidInput(msg),
        wit::MapError::InvalidField(f) => MapError::InvalidField { field: f.field, reason: f.reason },
        wit::MapError::TotalsMismatch(t) => MapError::TotalsMismatch {
            woo_total: decimal(&t.woo_total),
            fortnox_total: decimal(&t.fortnox_total),
            tolerance: decimal(&t.tolerance),
        },
        wit::MapError::NotYetSupported(what) => MapError::NotYetSupported(what),
    }
}
