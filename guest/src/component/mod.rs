//! The WebAssembly glue, compiled only for wasm32. The default build is the `mapper`
//! world (no imports of woonox's); with the `connector` feature it is the whole
//! `connector` world, whose flows reach the network through `wasi:http`.

#[cfg(not(feature = "connector"))]
wit_bindgen::generate!({ path: "../wit", world: "mapper" });

#[cfg(feature = "connector")]
wit_bindgen::generate!({ path: "../wit", world: "connector", generate_all });

mod batch;
mod mapping;
#[cfg(feature = "connector")]
mod sync;
#[cfg(feature = "connector")]
mod wasi_state;
#[cfg(feature = "connector")]
mod wasi_transport;

/// Talc instead of dlmalloc: the mappings allocate a node per JSON value, and dlmalloc's
/// malloc and free were a fifth of the component's time (BENCHMARKS.md).
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

struct Component;

export!(Component);
