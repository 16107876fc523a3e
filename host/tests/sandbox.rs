//! The runtime's limits, proven with a plugin that misbehaves on request: each misdeed
//! ends its own call with a clear error, and the same runtime goes on serving.

use std::path::PathBuf;
use std::time::Duration;
use woonox::runtime::plugin::Plugin;
use woonox::runtime::{Limits, Runtime, Source};
use woonox_guest::Settings;

fn misbehaving() -> Plugin {
    let limits = Limits { deadline: Duration::from_millis(500), memory_bytes: 64 << 20, ..Limits::default() };
    Plugin::new(Runtime::new(&Source::Plugin(PathBuf::from(env!("WOONOX_TEST_PLUGIN_WASM"))), None, limits).unwrap())
}

async fn order(plugin: &Plugin, input: &str) -> anyhow::Result<String> {
    let answer = plugin.map_order(input, None, &Settings::default()).await?;
    Ok(answer.map_err(|e| anyhow::anyhow!("{e}"))?.body)
}

#[tokio::test]
async fn each_misdeed_is_stopped_and_the_runtime_keeps_serving() {
    let plugin = misbehaving();
    let cases = [
        ("panic", "it panicked"),
        ("loop", "it ran past its deadline"),
        ("memory", "memory limit"),
        ("exit", "the plugin failed"),
    ];
    for (misdeed, expected) in cases {
        let err = order(&plugin, misdeed).await.expect_err(misdeed);
        assert!(format!("{err:#}").contains(expected), "{misdeed}: {err:#}");
        assert_eq!(order(&plugin, "behave").await.unwrap(), "{}", "the runtime stopped serving after {misdeed}");
    }
}

#[tokio::test]
async fn the_guest_sees_no_environment_and_no_files() {
    unsafe { std::env::set_var("WOONOX_SECRET_PROBE", "s3cret") };
    let body = order(&misbehaving(), "snoop").await.unwrap();
    let seen: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen, serde_json::json!({ "vars": 0, "root": false, "passwd": false }));
}

/// More calls at once than the pool has instance slots: those past it wait for a slot and
/// then succeed, where instantiating would fail (a `serve` with more connections than
/// slots saw jobs fail and back off).
#[tokio::test]
async fn calls_past_the_instance_slots_wait_for_one() {
    let runtime = Runtime::new(&Source::BuiltIn, None, Limits { instances: 2, ..Limits::default() }).unwrap();
    let hold = || {
        runtime.call(async |_mapper, _store| {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(())
        })
    };
    let started = std::time::Instant::now();
    let (a, b, c, d, e) = tokio::join!(hold(), hold(), hold(), hold(), hold());
    for (i, result) in [a, b, c, d, e].into_iter().enumerate() {
        result.unwrap_or_else(|err| panic!("call {i}: {err:#}"));
    }
    // Two slots, five calls of 300 ms each: three rounds at the least.
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
}
