//! The state: what woonox keeps (the component's namespaces, the job queue, runs, activity,
//! held items) on SQLite or PostgreSQL, and the files that hold secrets, with their
//! permissions.

pub mod activity;
pub mod event_offsets;
pub mod held;
pub mod leases;
pub mod permissions;
pub mod postgres;
pub mod queue;
pub mod schema;
pub mod sealed;
pub mod secrets;
pub mod sql;
pub mod sqlite;
pub mod store;
#[cfg(test)]
pub(crate) mod testing;

/// A state written by a newer woonox is refused rather than misread.
fn refuse_newer(found: usize, known: usize) -> anyhow::Result<()> {
    if found > known {
        anyhow::bail!("the state was written by a newer woonox (schema {found}, this build knows {known})");
    }
    Ok(())
}
