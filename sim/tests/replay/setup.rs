//! State the recordings rely on but did not record, each step justified by an exchange's
//! description.

use super::{Client, Ids, Kind, Signing, learn_ids};
use serde_json::{Value, json};

fn send(client: &Client, method: &str, path: &str, body: &Value) -> super::Answer {
    client.signed(method, path, &[], Some(body), Some(&Signing::fresh("HMAC-SHA256", false)), &[])
}

/// Exchanges 78 to 98 were recorded on a second store, set up beforehand (ids restart at
/// 11). Its catalogue, from what those exchanges show: the lines of 78, 81 and 83 (prices
/// with VAT: 159.92 + 25 % = 199.90, 43.75 + 12 % = 49.00, 987.648 + 25 % = 1234.56), 86
/// (HO-25-B 0.99, stock 100), 87 (variation 22 of product 21, "Färg: Röd", 149.00, stock
/// 100, following its parent's class) and 89/98 (HO-25-A had stock 100 before 78 and 80
/// sold one each: 98, total_sales 2). Customers 2 and 3 as 85 shows them.
pub fn second_store(client: &Client, ids: &mut Ids) {
    let simple = |id: u64, sku: &str, name: &str, price: &str, class: &str| {
        (
            id,
            json!({ "name": name, "type": "simple", "sku": sku, "regular_price": price, "tax_class": class,
                     "manage_stock": true, "stock_quantity": 100 }),
        )
    };
    let products = [
        simple(11, "HO-25-A", "Kaffekvarn Manuell", "199.90", ""),
        simple(12, "HO-25-B", "Laddkabel USB-C", "0.99", ""),
        simple(13, "HO-25-C", "Espressomaskin Deluxe", "1234.56", ""),
        simple(14, "HO-12-A", "Kaffebönor Mörkrost 500 g", "49.00", "reduced-rate"),
        simple(16, "HO-06-A", "Bok: Fika på svenska", "249.00", "reduced-rate-6"),
        simple(19, "HO-00-B", "Gåva till Stadsmissionen", "33.33", "zero-rate"),
        (
            21,
            json!({ "name": "Förkläde Linne", "type": "variable", "sku": "HO-VAR",
                     "attributes": [{ "name": "Färg", "visible": true, "variation": true, "options": ["Röd"] }] }),
        ),
    ];
    for (recorded, body) in products {
        let answer = send(client, "POST", "/wp-json/wc/v3/products", &body);
        assert_eq!(answer.status, 201, "set-up product {recorded}: {}", answer.body);
        ids.learn(Kind::Post, &json!(recorded), &answer.body["id"]);
    }
    let parent = ids.get(Kind::Post, 21);
    let variation = json!({ "sku": "HO-VAR-RED", "regular_price": "149.00", "manage_stock": true, "stock_quantity": 100,
                            "attributes": [{ "name": "Färg", "option": "Röd" }] });
    let answer = send(client, "POST", &format!("/wp-json/wc/v3/products/{parent}/variations"), &variation);
    assert_eq!(answer.status, 201, "set-up variation: {}", answer.body);
    ids.learn(Kind::Post, &json!(22), &answer.body["id"]);
    for (recorded, customer) in customers() {
        let answer = send(client, "POST", "/wp-json/wc/v3/customers", &customer);
        assert_eq!(answer.status, 201, "set-up customer {recorded}: {}", answer.body);
        learn_ids(ids, "/customers", &json!({ "id": recorded }), &answer.body);
    }
}

/// Customers 2 and 3 of the second store, as exchange 85 lists them (names as typed).
fn customers() -> [(u64, Value); 2] {
    let address = |first: &str, last: &str, company: &str, street: &str, city: &str, postcode: &str, phone: &str| {
        json!({ "first_name": first, "last_name": last, "company": company, "address_1": street, "address_2": "",
                "city": city, "postcode": postcode, "country": "SE", "state": "", "phone": phone })
    };
    let with_email = |mut a: Value, email: &str| {
        a["email"] = json!(email);
        a
    };
    let karin = "karin.lind@example.se";
    let fika = "ekonomi@fikaco.example.se";
    [
        (
            2,
            json!({ "email": karin, "first_name": "Karin", "last_name": "Lind", "username": "karin.lind",
                    "billing": with_email(address("Karin", "Lind", "", "Storgatan 12", "Stockholm", "114 55", "070-123 45 67"), karin),
                    "shipping": address("Karin", "Lind", "", "Storgatan 12", "Stockholm", "114 55", "") }),
        ),
        (
            3,
            json!({ "email": fika, "first_name": "Fika & Co", "last_name": "AB", "username": "fikaco",
                    "billing": with_email(address("Fika & Co", "AB", "Fika & Co AB", "Kungsgatan 5", "Göteborg", "411 19", "031-12 34 56"), fika),
                    "shipping": address("Fika & Co", "AB", "Fika & Co AB", "Kungsgatan 5", "Göteborg", "411 19", "") }),
        ),
    ]
}

/// Exchange 80 was recorded with prices entered excluding VAT, set just before and reset
/// just after (its description).
pub fn prices_include_tax(client: &Client, include: bool) {
    let body = json!({ "value": if include { "yes" } else { "no" } });
    let answer = send(client, "PUT", "/wp-json/wc/v3/settings/tax/woocommerce_prices_include_tax", &body);
    assert_eq!(answer.status, 200, "prices_include_tax: {}", answer.body);
}
