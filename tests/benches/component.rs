//! What running the mappings inside the WebAssembly component costs against running them
//! natively, in one run over the same generated inputs: orders, products and stock sets,
//! through the per-item functions and through the `mapper` resource (settings once, a list
//! per call); and what instantiating the component per job costs with wasmtime's pooling allocator
//! and with on-demand allocation. Results and the command are in BENCHMARKS.md.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use woonox::runtime::bindings::wit_mapping::{OrderInput, ProductInput, StockInput};
use woonox::runtime::plugin::Plugin;
use woonox::runtime::{Limits, Runtime, Source};
use woonox_guest::Settings;
use woonox_tests::{gen_order, gen_stock};

fn sample<T>(strategy: impl Strategy<Value = T>, n: usize) -> Vec<T> {
    let mut runner = TestRunner::deterministic();
    (0..n).map(|_| strategy.new_tree(&mut runner).unwrap().current()).collect()
}

/// One executor for the whole run, so building it is not counted against the component.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    static EXEC: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    EXEC.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()).block_on(f)
}

fn runtime(pooling: bool) -> Runtime {
    Runtime::new(&Source::BuiltIn, None, Limits { pooling, ..Limits::default() }).unwrap()
}

fn mapping(c: &mut Criterion) {
    let orders: Vec<String> = sample(gen_order::order(), 100).into_iter().map(|o| o.json).collect();
    let articles = sample(gen_stock::article(), 100);
    let stock = sample(gen_stock::stock_sets(), 20);
    let settings = Settings::default();
    let wit = woonox::runtime::wit_settings::to_wit(&settings);
    // The allocator woonox uses, so the figures are what a flow or an integrator gets.
    let rt = runtime(woonox::runtime::POOLING_BY_DEFAULT);
    let plugin = Plugin::new(runtime(woonox::runtime::POOLING_BY_DEFAULT));
    let mut group = c.benchmark_group("map 100 orders");
    group.bench_function("native", |b| {
        b.iter(|| orders.iter().filter(|o| woonox_guest::map_order(o, Some("1"), &settings).is_ok()).count())
    });
    group.bench_function("component, one instance", |b| {
        b.iter(|| {
            block_on(rt.call(async |m, store| {
                let mut ok = 0;
                for o in &orders {
                    ok += m.woonox_connector_mapping().call_map_order(&mut *store, o, Some("1"), &wit).await?.is_ok()
                        as usize;
                }
                Ok(ok)
            }))
            .unwrap()
        })
    });
    let inputs: Vec<OrderInput> =
        orders.iter().map(|o| OrderInput { order: o.clone(), customer_number: Some("1".into()) }).collect();
    group.bench_function("component, mapper", |b| {
        b.iter(|| {
            block_on(plugin.map_orders(&inputs, &settings)).unwrap().unwrap().iter().filter(|a| a.is_ok()).count()
        })
    });
    group.finish();
    let mut group = c.benchmark_group("map 100 products");
    group.bench_function("native", |b| {
        b.iter(|| {
            articles.iter().filter(|(a, p)| woonox_guest::map_product(a, p.as_deref(), &settings).is_ok()).count()
        })
    });
    group.bench_function("component, one instance", |b| {
        b.iter(|| {
            block_on(rt.call(async |m, store| {
                let mut ok = 0;
                for (a, p) in &articles {
                    let mapped =
                        m.woonox_connector_mapping().call_map_product(&mut *store, a, p.as_deref(), &wit).await?;
                    ok += mapped.is_ok() as usize;
                }
                Ok(ok)
            }))
            .unwrap()
        })
    });
    let inputs: Vec<ProductInput> =
        articles.iter().map(|(a, p)| ProductInput { article: a.clone(), price: p.clone() }).collect();
    group.bench_function("component, mapper", |b| {
        b.iter(|| {
            block_on(plugin.map_products(&inputs, &settings)).unwrap().unwrap().iter().filter(|a| a.is_ok()).count()
        })
    });
    group.finish();
    let mut group = c.benchmark_group("reconcile 20 stock sets");
    group.bench_function("native", |b| {
        b.iter(|| {
            stock
                .iter()
                .filter_map(|(f, w)| {
                    let (f, w) =
                        (woonox_guest::stock::fortnox_levels(f).ok()?, woonox_guest::stock::woo_levels(w).ok()?);
                    Some(woonox_guest::stock::reconcile(&f, &w).updates.len())
                })
                .sum::<usize>()
        })
    });
    group.bench_function("component, one instance", |b| {
        b.iter(|| {
            block_on(rt.call(async |m, store| {
                let mut n = 0;
                for (f, w) in &stock {
                    let plan = m.woonox_connector_mapping().call_reconcile_stock(&mut *store, f, w, &wit).await?;
                    n += plan.map(|p| p.updates.len()).unwrap_or(0);
                }
                Ok(n)
            }))
            .unwrap()
        })
    });
    let pairs: Vec<StockInput> = stock.iter().map(|(f, w)| StockInput { fortnox: f.clone(), woo: w.clone() }).collect();
    group.bench_function("component, mapper", |b| {
        b.iter(|| {
            let answers = block_on(plugin.reconcile_stocks(&pairs, &settings)).unwrap().unwrap();
            answers.iter().map(|a| a.as_ref().map(|p| p.updates.len()).unwrap_or(0)).sum::<usize>()
        })
    });
    group.finish();
}

fn instantiation(c: &mut Criterion) {
    let mut group = c.benchmark_group("instantiate per job");
    for (name, pooling) in [("on-demand", false), ("pooling", true)] {
        let rt = runtime(pooling);
        group.bench_function(name, |b| {
            b.iter_batched(|| (), |()| block_on(rt.call(async |_, _| Ok(()))).unwrap(), BatchSize::SmallInput)
        });
    }
    group.finish();
}

criterion_group!(benches, mapping, instantiation);
criterion_main!(benches);
