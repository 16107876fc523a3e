//! The shipped component may import only what the host gives it on purpose. A new import
//! (a capability) must be added here deliberately, so creep is caught in review.

use wasmtime::component::Component;

/// The `mapper` world itself imports nothing; `types` is the contract's own type-only
/// interface, and the `wasi:cli`/`wasi:io` imports come from Rust's standard library
/// (panic messages, the environment lookup behind `RUST_BACKTRACE`). The host satisfies them
/// with an empty WASI context: no variables, no arguments, no files, no sockets, and
/// standard output and error captured.
const EXPECTED: [&str; 14] = [
    "wasi:cli/environment@0.2.6",
    "wasi:cli/exit@0.2.6",
    "wasi:cli/stderr@0.2.6",
    "wasi:cli/stdin@0.2.6",
    "wasi:cli/stdout@0.2.6",
    "wasi:cli/terminal-input@0.2.6",
    "wasi:cli/terminal-output@0.2.6",
    "wasi:cli/terminal-stderr@0.2.6",
    "wasi:cli/terminal-stdin@0.2.6",
    "wasi:cli/terminal-stdout@0.2.6",
    "wasi:io/error@0.2.6",
    "wasi:io/poll@0.2.6",
    "wasi:io/streams@0.2.6",
    "woonox:connector/types@0.3.0",
];

#[test]
fn the_component_imports_exactly_the_expected_interfaces() {
    let engine = woonox::runtime::engine().unwrap();
    let component = Component::new(&engine, woonox::runtime::BUILT_IN).unwrap();
    let mut imports: Vec<String> =
        component.component_type().imports(&engine).map(|(name, _)| name.to_owned()).collect();
    imports.sort();
    assert_eq!(imports, EXPECTED);
}

#[test]
fn the_component_exports_the_mapping_interface() {
    let engine = woonox::runtime::engine().unwrap();
    let component = Component::new(&engine, woonox::runtime::BUILT_IN).unwrap();
    let exports: Vec<String> = component.component_type().exports(&engine).map(|(name, _)| name.to_owned()).collect();
    assert_eq!(exports, ["woonox:connector/mapping@0.3.0"]);
}

/// The connector adds exactly its world's imports: outgoing HTTP (and the WASI I/O it is
/// built on, at 0.2.12, which also serves what the standard library imports), the
/// key-value store and logging. No clock, no filesystem, no sockets.
#[test]
fn the_connector_component_adds_only_its_world() {
    let engine = woonox::runtime::engine().unwrap();
    let component = Component::new(&engine, woonox::runtime::BUILT_IN_CONNECTOR).unwrap();
    let mut imports: Vec<String> =
        component.component_type().imports(&engine).map(|(name, _)| name.to_owned()).collect();
    imports.sort();
    let mut expected: Vec<String> =
        EXPECTED.iter().filter(|i| !i.starts_with("wasi:io/")).map(|s| s.to_string()).collect();
    expected.extend(
        [
            "wasi:http/outgoing-handler@0.2.12",
            "wasi:http/types@0.2.12",
            "wasi:io/error@0.2.12",
            "wasi:io/poll@0.2.12",
            "wasi:io/streams@0.2.12",
            "wasi:keyvalue/store@0.2.0-draft",
            "wasi:logging/logging@0.1.0-draft",
        ]
        .map(String::from),
    );
    expected.sort();
    assert_eq!(imports, expected);
}
