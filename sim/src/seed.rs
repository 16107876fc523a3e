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
const MAKERS: [&str; 3] = ["Gustavsberg", "Rörstrand", "Höganäs"];
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

/// The fields a merchant fills in on some articles, beyond what the list shows: every
/// third article from the second one (SIM-00002, SIM-00005, …) has them, the rest are
/// bare, as in a real register. Derived from the index alone, so the catalog's random
/// sequence (and every seed's data) stays as it was.
pub fn article_details(index: usize) -> Option<serde_json::Value> {
    if index % 3 != 1 {
        return None;
    }
    let n = index as u64 + 1;
    Some(serde_json::json!({
        // 735 is one of Sweden's GS1 prefixes; unique per article.
        "EAN": ean13(735_000_000_000 + n),
        "Note": format!("Handgjord i Gustavsberg, serie {}", n % 7 + 1),
        "Manufacturer": MAKERS[index / 3 % MAKERS.len()],
        "ManufacturerArticleNumber": format!("M-{n:06}"),
        "Weight": 150 + n % 50 * 10,
        "Width": 80 + n % 5 * 10,
        "Height": 90 + n % 7 * 10,
        "Depth": 80 + n % 5 * 10,
        "StockPlace": format!("Hylla {}", n % 20 + 1),
        "PurchasePrice": 12.5,
    }))
}

/// A valid EAN-13 for a 12-digit body (the check digit GS1's way).
fn ean13(body: u64) -> String {
    let digits = format!("{body:012}");
    let sum: u32 =
        digits.bytes().rev().enumerate().map(|(i, b)| (b - b'0') as u32 * if i % 2 == 0 { 3 } else { 1 }).sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
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
