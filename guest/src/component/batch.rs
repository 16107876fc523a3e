//! The `mapper` resource: the settings lowered and checked once, then whole lists mapped
//! per call. Each answer is what the per-item export gives, since both call the same code.

use super::exports::woonox::connector::mapping::{GuestMapper, Mapper, OrderInput, ProductInput, StockInput};
use super::mapping::{finish, settings_from, stock_plan};
use super::woonox::connector::types as wit;
use crate::settings::Settings;

pub struct Batch {
    settings: Settings,
}

impl GuestMapper for Batch {
    fn create(settings: wit::Settings) -> Result<Mapper, wit::MapError> {
        Ok(Mapper::new(Batch { settings: settings_from(settings)? }))
    }

    fn map_orders(&self, orders: Vec<OrderInput>) -> Vec<Result<wit::Mapped, wit::MapError>> {
        let each = |o: OrderInput| finish(crate::map_order(&o.order, o.customer_number.as_deref(), &self.settings));
        orders.into_iter().map(each).collect()
    }

    fn map_customers(&self, customers_or_orders: Vec<String>) -> Vec<Result<wit::Mapped, wit::MapError>> {
        customers_or_orders.iter().map(|c| finish(crate::map_customer(c, &self.settings))).collect()
    }

    fn map_products(&self, articles: Vec<ProductInput>) -> Vec<Result<wit::Mapped, wit::MapError>> {
        let each = |a: ProductInput| finish(crate::map_product(&a.article, a.price.as_deref(), &self.settings));
        articles.into_iter().map(each).collect()
    }

    fn reconcile_stock(&self, pairs: Vec<StockInput>) -> Vec<Result<wit::StockPlan, wit::MapError>> {
        pairs.iter().map(|p| stock_plan(&p.fortnox, &p.woo)).collect()
    }
}
