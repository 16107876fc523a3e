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

/// `count` WooCommerce orders over the catalog: mixed rates, coupons, shipping, fees,
/// returning and guest customers, spread over the day so `modified_after` has work to do.
pub fn orders(catalog: &[Item], count: usize) -> Vec<crate::woo_orders::OrderSpec> {
    use crate::woo_orders::{ExtraSpec, LineSpec, OrderSpec};
    if catalog.is_empty() {
        return Vec::new();
    }
    let mut rng = StdRng::seed_from_u64(catalog.len() as u64);
    (0..count)
        .map(|i| {
            let lines = (0..rng.random_range(1..4))
                .map(|_| {
                    let item = &catalog[rng.random_range(0..catalog.len())];
                    LineSpec {
                        sku: item.sku.clone(),
                        name: item.description.clone(),
                        rate: item.vat as u32,
                        quantity: rng.random_range(1..4),
                        unit_cents: item.price_ore,
                    }
                })
                .collect();
            OrderSpec {
                id: 1000 + i as u64,
                status: ["processing", "completed", "pending", "on-hold"][rng.random_range(0..4)].into(),
                currency: if rng.random_range(0..10) == 0 { "EUR".into() } else { "SEK".into() },
                decimals: 2,
                prices_include_tax: true,
                lines,
                coupon_percent: [0, 0, 0, 10][rng.random_range(0..4)],
                shipping: Some(ExtraSpec { rate: 25, cents: [0, 3920, 4900][rng.random_range(0..3)] }),
                fees: match rng.random_range(0..8) {
                    0 => vec![ExtraSpec { rate: 25, cents: 2900 }],
                    // A discount fee: WooCommerce spreads its tax over the order's rates.
                    1 => vec![ExtraSpec { rate: 25, cents: -5000 }],
                    _ => Vec::new(),
                },
                email: format!("kund{}@example.se", rng.random_range(0..count.max(2) / 2 + 1)),
                customer_id: if rng.random_range(0..3) == 0 { 0 } else { rng.random_range(1..50) },
                modified_gmt: format!("2026-11-26T{:02}:{:02}:00", 6 + i * 12 / count, rng.random_range(0..60)),
            }
        })
        .collect()
}
