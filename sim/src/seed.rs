//! A deterministic catalog: the same seed gives the same articles, prices and stock.

use crate::woo_orders::{BuyerSpec, ExtraSpec, LineSpec, OrderSpec};
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

// "Kopp & fat": WooCommerce stores and returns it as `Kopp &amp; fat`.
const NOUNS: [&str; 8] = ["Kaffekopp", "Tallrik", "Skål", "Kanna", "Glas", "Kopp & fat", "Vas", "Ljusstake"];
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

/// Buyer `k` (email `kund{k}@example.se`, WooCommerce customer `k + 1` when registered;
/// user 1 is the administrator). Every fourth is a company known only by the organisation
/// number in its orders' meta (billing company empty, the name from the billing name, with
/// an `&`); every fourth a company whose name the merchant typed with an entity and a tag.
pub fn buyer(k: usize) -> BuyerSpec {
    match k % 4 {
        3 => BuyerSpec {
            first_name: format!("Fika & Co {k}"),
            last_name: "AB".into(),
            company: String::new(),
            org_number: Some(format!("556{:03}-{:04}", k % 1000, 1000 + k % 9000)),
        },
        2 => BuyerSpec { company: format!("Bröd &amp; <b>Salt</b> {k} AB"), ..BuyerSpec::default() },
        _ => BuyerSpec::default(),
    }
}

/// `count` WooCommerce orders over the catalog: mixed rates, coupons, shipping, fees,
/// returning and guest customers, spread over the day so `modified_after` has work to do.
/// Some line names carry a `<b>` tag the merchant put into the product name.
pub fn orders(catalog: &[Item], count: usize) -> Vec<OrderSpec> {
    if catalog.is_empty() {
        return Vec::new();
    }
    let mut rng = StdRng::seed_from_u64(catalog.len() as u64);
    (0..count)
        .map(|i| {
            let mut lines: Vec<LineSpec> = (0..rng.random_range(1..4))
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
            if i % 4 == 1 {
                lines[0].name = format!("<b>Rea!</b> {}", lines[0].name);
            }
            let k = rng.random_range(0..count.max(2) / 2 + 1);
            // A registered buyer is one WooCommerce account: its id follows from its email.
            // A company known by its organisation number always buys through its account.
            let registered = k > 0 && (buyer(k).org_number.is_some() || rng.random_range(0..3) != 0);
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
                email: format!("kund{k}@example.se"),
                buyer: buyer(k),
                customer_id: if registered { k as u64 + 1 } else { 0 },
                modified_gmt: format!("2026-11-26T{:02}:{:02}:00", 6 + i * 12 / count, rng.random_range(0..60)),
            }
        })
        .collect()
}

/// `count` orders woonox must refuse whole, ids from `first_id`: each has a line taxed at
/// German VAT (19 %), which Fortnox cannot book, and a company buyer of its own, known
/// only by organisation number, so a customer created for it would be a stray.
pub fn refused_orders(catalog: &[Item], count: usize, first_id: u64) -> Vec<OrderSpec> {
    if catalog.is_empty() {
        return Vec::new();
    }
    (0..count)
        .map(|i| {
            let item = &catalog[i % catalog.len()];
            let line = |rate, name: &str| LineSpec {
                sku: item.sku.clone(),
                name: name.into(),
                rate,
                quantity: 1,
                unit_cents: item.price_ore,
            };
            OrderSpec {
                id: first_id + i as u64,
                status: "processing".into(),
                currency: "EUR".into(),
                decimals: 2,
                prices_include_tax: true,
                lines: vec![line(25, &item.description), line(crate::woo_orders::FOREIGN_RATE, "Kaffee & Kuchen")],
                coupon_percent: 0,
                shipping: None,
                fees: Vec::new(),
                email: format!("einkauf{i}@example.de"),
                buyer: BuyerSpec {
                    first_name: "Kaffee & Kuchen".into(),
                    last_name: "GmbH".into(),
                    company: String::new(),
                    org_number: Some(format!("HRB {}", 10_000 + i)),
                },
                customer_id: 0,
                modified_gmt: "2026-11-26T18:30:00".into(),
            }
        })
        .collect()
}
