//! Connections: the configuration file, `connect` (proving and saving keys and tokens),
//! opening a connection for a run, and registering webhooks.

pub mod config;
pub mod connect;
pub mod connection;
pub mod settings_file;
pub mod webhook_setup;
