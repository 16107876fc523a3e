//! Host-side bindings generated from `wit/`: the one definition of the boundary.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "mapper",
    exports: { default: async },
});

pub use exports::woonox::connector::mapping as wit_mapping;
pub use woonox::connector::types as wit;
