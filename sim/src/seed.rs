//! A deterministic catalog: the same seed gives the same articles, prices and stock.

use rand::{Rng, SeedableRng, rngs::StdRng};

#[derive(Debug, Clone)]
pub struct Item {
    pub sku: String,
    pub description: String,
    /// Price list A, in öre.
    pub price_ore: i64,
    pub stock: i64,
    pub vat: u8,
}

const NOUNS: [&str; 8] = ["Kaffekopp", "Tallrik", "Skål", "Kanna", "Glas", "Bricka", "Vas", "Ljusstake"];
const COLOURS: [&str; 6] = ["Blå", "Grön", "Vit", "Svart", "Röd", "Gul"];

pub fn catalog(seed: u64, count: usize) -> Vec<Item> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|i| Item {
            sku: format!("SIM-{:05}", i + 1),
            description: format!(
                "{} {}",
                NOUNS[rng.random_range(0..NOUNS.len())],
                COLOURS[rng.random_range(0..COLOURS.len())]
            ),
            price_ore: rng.random_range(1_000..500_000),
            stock: rng.random_range(0..200),
            vat: [25, 25, 25, 12, 6][rng.random_range(0..5)],
        })
        .collect()
}
