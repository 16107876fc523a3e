//! The state: what woonox keeps (the component's namespaces, the job queue, runs, activity,
//! held items) and the files that hold it and the secrets, with their permissions.

pub mod activity;
pub mod held;
pub mod permissions;
pub mod queue;
pub mod secrets;
pub mod store;
