//! Host-side bindings generated from `wit/`: the one definition of the boundary.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "mapper",
    exports: { default: async },
});

pub use self::exports::woonox::connector::mapping as wit_mapping;
pub use self::woonox::connector::types as wit;
