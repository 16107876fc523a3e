//! Typed calls into the component's `mapping` interface. Each call gets a fresh instance:
//! one item per call through the per-item functions, or a list per call through the
//! `mapper` resource, which takes the settings once.

use crate::runtime::Runtime;
use crate::runtime::bindings::wit_mapping::{GuestMapper, OrderInput, ProductInput, StockInput};
use crate::runtime::bindings::{Mapper, wit};
use crate::runtime::instances::HostState;
use crate::runtime::wit_settings::to_wit;
use anyhow::Result;
use std::str::FromStr;
use wasmtime::Store;
use wasmtime::component::ResourceAny;
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

/// The answers of a list, one per item in its order; or what is wrong with the settings.
pub type Answers<T> = Answer<Vec<Answer<T>>>;

impl Plugin {
    pub async fn map_orders(&self, orders: &[OrderInput], settings: &Settings) -> Result<Answers<wit::Mapped>> {
        self.batch(settings, async |m, mapper, store| m.call_map_orders(store, mapper, orders).await).await
    }

    pub async fn map_customers(&self, inputs: &[String], settings: &Settings) -> Result<Answers<wit::Mapped>> {
        self.batch(settings, async |m, mapper, store| m.call_map_customers(store, mapper, inputs).await).await
    }

    pub async fn map_products(&self, articles: &[ProductInput], settings: &Settings) -> Result<Answers<wit::Mapped>> {
        self.batch(settings, async |m, mapper, store| m.call_map_products(store, mapper, articles).await).await
    }

    pub async fn reconcile_stocks(&self, pairs: &[StockInput], settings: &Settings) -> Result<Answers<wit::StockPlan>> {
        self.batch(settings, async |m, mapper, store| m.call_reconcile_stock(store, mapper, pairs).await).await
    }

    /// Makes a `mapper` with the settings in a fresh instance and runs `work` with it. The
    /// store, dropped after the call, takes the mapper with it.
    async fn batch<T, F>(&self, settings: &Settings, work: F) -> Result<Answers<T>>
    where
        F: for<'a> AsyncFnOnce(
            GuestMapper<'a>,
            ResourceAny,
            &'a mut Store<HostState>,
        ) -> wasmtime::Result<Vec<Result<T, wit::MapError>>>,
    {
        let s = to_wit(settings);
        let answer = self
            .runtime
            .call(async |m: &Mapper, store| {
                let mapping = m.woonox_connector_mapping().mapper();
                Ok(match mapping.call_create(&mut *store, &s).await? {
                    Ok(mapper) => Ok(work(mapping, mapper, store).await?),
                    Err(e) => Err(e),
                })
            })
            .await?;
        Ok(answer.map(|answers| answers.into_iter().map(|a| a.map_err(from_wit)).collect()).map_err(from_wit))
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
