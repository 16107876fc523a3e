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

struct Component;

export!(Component);
