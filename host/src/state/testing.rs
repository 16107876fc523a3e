//! Runs a state test on each backend: SQLite in memory and a fresh PostgreSQL database.

use super::store::Store;

pub fn each_backend(test: impl Fn(&Store)) {
    test(&Store::in_memory().unwrap());
    let url = woonox_sim::postgres::fresh_database().unwrap();
    test(&Store::connect(&url).unwrap());
}
