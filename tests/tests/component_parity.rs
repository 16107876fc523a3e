//! The component and the native build must give identical output for the same input:
//! the same body to the byte, the same warnings, the same error text.

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use std::sync::OnceLock;
use woonox::runtime::bindings::wit::CurrencyRate;
use woonox::runtime::bindings::wit_mapping::{OrderInput, ProductInput, StockInput};
use woonox::runtime::plugin::Plugin;
use woonox::runtime::{Limits, Runtime, Source};
use woonox_guest::settings::{Settings, ShippingMode, VatMode};
use woonox_guest::{MapError, Mapped};
use woonox_tests::{gen_order, gen_stock};

fn plugin() -> &'static Plugin {
    static PLUGIN: OnceLock<Plugin> = OnceLock::new();
    PLUGIN.get_or_init(|| Plugin::new(Runtime::new(&Source::BuiltIn, None, Limits::default()).unwrap()))
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

type Native = Result<Mapped, MapError>;
type Component = woonox::runtime::plugin::Answer<woonox::runtime::bindings::wit::Mapped>;

fn same(native: Native, component: Component) -> Result<(), TestCaseError> {
    match (native, component) {
        (Ok(n), Ok(c)) => {
            prop_assert_eq!(n.body.to_string(), c.body);
            prop_assert_eq!(n.warnings, c.warnings);
        }
        (Err(n), Err(c)) => prop_assert_eq!(n.to_string(), c.to_string()),
        (n, c) => return Err(TestCaseError::fail(format!("native {n:?} but component {c:?}"))),
    }
    Ok(())
}

/// Each case instantiates the component afresh; 64 cases keep the test quick.
fn runner() -> TestRunner {
    TestRunner::new(ProptestConfig::with_cases(64))
}

fn settings_variant() -> impl Strategy<Value = Settings> {
    (any::<bool>(), any::<bool>()).prop_map(|(excluded, freight)| {
        let mut s = Settings::default();
        if excluded {
            s.order.prices = VatMode::Excluded;
        }
        if freight {
            s.order.shipping = ShippingMode::Freight;
        }
        s
    })
}

#[test]
fn orders_map_identically() {
    runner()
        .run(&(gen_order::order(), settings_variant()), |(o, settings)| {
            let native = woonox_guest::map_order(&o.json, Some("7"), &settings);
            let component = block_on(plugin().map_order(&o.json, Some("7"), &settings)).unwrap();
            same(native, component)
        })
        .unwrap();
}

#[test]
fn customers_map_identically() {
    runner()
        .run(&gen_order::order(), |o| {
            let settings = Settings::default();
            same(
                woonox_guest::map_customer(&o.json, &settings),
                block_on(plugin().map_customer(&o.json, &settings)).unwrap(),
            )
        })
        .unwrap();
}

#[test]
fn products_map_identically() {
    runner()
        .run(&gen_stock::article(), |(article, price)| {
            let settings = Settings::default();
            let native = woonox_guest::map_product(&article, price.as_deref(), &settings);
            let component = block_on(plugin().map_product(&article, price.as_deref(), &settings)).unwrap();
            same(native, component)
        })
        .unwrap();
}

#[test]
fn stock_reconciles_identically() {
    runner()
        .run(&gen_stock::stock_sets(), |(fortnox, woo)| {
            let native = woonox_guest::stock::reconcile(
                &woonox_guest::stock::fortnox_levels(&fortnox).unwrap(),
                &woonox_guest::stock::woo_levels(&woo).unwrap(),
            );
            let component = block_on(plugin().reconcile_stock(&fortnox, &woo, &Settings::default())).unwrap().unwrap();
            let native_updates: Vec<_> = native
                .updates
                .iter()
                .map(|u| (u.sku.clone(), u.product_id, u.parent_id, u.quantity.to_string(), u.enable_manage_stock))
                .collect();
            let component_updates: Vec<_> = component
                .updates
                .iter()
                .map(|u| (u.sku.clone(), u.product_id, u.parent_id, u.quantity.clone(), u.enable_manage_stock))
                .collect();
            prop_assert_eq!(native_updates, component_updates);
            prop_assert_eq!(native.only_in_fortnox, component.only_in_fortnox);
            prop_assert_eq!(native.only_in_woo, component.only_in_woo);
            Ok(())
        })
        .unwrap();
}

#[test]
fn bad_input_gives_the_same_error() {
    let settings = Settings::default();
    for input in ["", "{", "[]", "{\"id\": 1}", "{\"id\": 1, \"total\": \"x\", \"line_items\": []}"] {
        same(
            woonox_guest::map_order(input, None, &settings),
            block_on(plugin().map_order(input, None, &settings)).unwrap(),
        )
        .unwrap();
    }
}

/// The `mapper` resource maps whole lists in one call: each answer is the native one for
/// its item, in the order of the inputs, and a malformed item among good ones fails alone.
#[test]
fn lists_map_identically_through_the_mapper() {
    let lists = (prop::collection::vec(gen_order::order(), 0..5), prop::collection::vec(gen_stock::article(), 0..5));
    TestRunner::new(ProptestConfig::with_cases(24))
        .run(&(lists, settings_variant()), |((orders, articles), settings)| {
            let mut jsons: Vec<String> = orders.into_iter().map(|o| o.json).collect();
            jsons.insert(jsons.len() / 2, "{".to_owned());
            let inputs: Vec<OrderInput> =
                jsons.iter().map(|j| OrderInput { order: j.clone(), customer_number: Some("7".into()) }).collect();
            let answers = block_on(plugin().map_orders(&inputs, &settings)).unwrap().unwrap();
            prop_assert_eq!(answers.len(), jsons.len());
            for (json, answer) in jsons.iter().zip(answers) {
                same(woonox_guest::map_order(json, Some("7"), &settings), answer)?;
            }
            let answers = block_on(plugin().map_customers(&jsons, &settings)).unwrap().unwrap();
            prop_assert_eq!(answers.len(), jsons.len());
            for (json, answer) in jsons.iter().zip(answers) {
                same(woonox_guest::map_customer(json, &settings), answer)?;
            }
            let inputs: Vec<ProductInput> =
                articles.iter().map(|(a, p)| ProductInput { article: a.clone(), price: p.clone() }).collect();
            let answers = block_on(plugin().map_products(&inputs, &settings)).unwrap().unwrap();
            prop_assert_eq!(answers.len(), articles.len());
            for ((article, price), answer) in articles.iter().zip(answers) {
                same(woonox_guest::map_product(article, price.as_deref(), &settings), answer)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn stock_lists_reconcile_as_each_pair_alone() {
    TestRunner::new(ProptestConfig::with_cases(16))
        .run(&prop::collection::vec(gen_stock::stock_sets(), 0..4), |sets| {
            let settings = Settings::default();
            let pairs: Vec<StockInput> =
                sets.iter().map(|(f, w)| StockInput { fortnox: f.clone(), woo: w.clone() }).collect();
            let answers = block_on(plugin().reconcile_stocks(&pairs, &settings)).unwrap().unwrap();
            prop_assert_eq!(answers.len(), sets.len());
            for ((fortnox, woo), answer) in sets.iter().zip(answers) {
                let alone = block_on(plugin().reconcile_stock(fortnox, woo, &settings)).unwrap();
                prop_assert_eq!(format!("{alone:?}"), format!("{answer:?}"));
            }
            Ok(())
        })
        .unwrap();
}

/// Settings the guest cannot use are refused when the mapper is made, with the error each
/// per-item mapping gives for them.
#[test]
fn a_mapper_refuses_unusable_settings_as_each_mapping_does() {
    let mut wit = woonox::runtime::wit_settings::to_wit(&Settings::default());
    wit.order.currency_rates.push(CurrencyRate { currency: "EUR".into(), rate: "eleven".into() });
    let (alone, made) = block_on(plugin().runtime().call(async |m, store| {
        let alone = m.woonox_connector_mapping().call_map_order(&mut *store, "{}", None, &wit).await?;
        let made = m.woonox_connector_mapping().mapper().call_create(&mut *store, &wit).await?;
        Ok((alone, made.map(|_| ())))
    }))
    .unwrap();
    let message = format!("{:?}", alone.unwrap_err());
    assert!(message.contains("eleven"), "{message}");
    assert_eq!(message, format!("{:?}", made.unwrap_err()));
}
