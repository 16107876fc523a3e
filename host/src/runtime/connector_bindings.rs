//! Host-side bindings of the `connector` world. The shared types, WASI HTTP and I/O come
//! from their existing bindings, so a `Settings` is one type across both worlds.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "connector",
    exports: { default: async },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "woonox:connector/types": crate::runtime::bindings::wit,
        "wasi:keyvalue/store.bucket": crate::runtime::guest_kv::Bucket,
    },
});

pub use self::exports::woonox::connector::sync as wit_sync;
