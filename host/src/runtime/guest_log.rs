//! `wasi:logging` for the component: its messages join the host's log, tagged with the
//! connection.

use crate::runtime::HostState;

impl crate::runtime::connector_bindings::wasi::logging::logging::Host for HostState {
    fn log(
        &mut self,
        level: crate::runtime::connector_bindings::wasi::logging::logging::Level,
        context: String,
        message: String,
    ) {
        use crate::runtime::connector_bindings::wasi::logging::logging::Level;
        if context == "progress"
            && let Some(sink) = &self.connection.progress
        {
            return sink(&message);
        }
        let connection = &self.connection.name;
        match level {
            Level::Trace => tracing::trace!(connection, context, "{message}"),
            Level::Debug => tracing::debug!(connection, context, "{message}"),
            Level::Info => tracing::info!(connection, context, "{message}"),
            Level::Warn => tracing::warn!(connection, context, "{message}"),
            Level::Error | Level::Critical => tracing::error!(connection, context, "{message}"),
        }
    }
}
