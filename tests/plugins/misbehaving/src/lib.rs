//! A test plugin that misbehaves on request, to prove the host's sandbox and limits. Never
//! shipped. `map-order` reads its first argument as the misdeed: `panic`, `loop`,
//! `memory`, `exit`, or `snoop` (report what of the host it can see); anything else
//! answers `{}`.

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ path: "../../../wit", world: "mapper" });

    use exports::woonox::connector::mapping::Guest;
    use woonox::connector::types::{MapError, Mapped, Settings, StockPlan};

    struct Misbehaving;

    fn ok(body: String) -> Result<Mapped, MapError> {
        Ok(Mapped { body, warnings: Vec::new() })
    }

    impl Guest for Misbehaving {
        fn map_order(order: String, _: Option<String>, _: Settings) -> Result<Mapped, MapError> {
            match order.as_str() {
                "panic" => panic!("deliberate panic in the test plugin"),
                "loop" => loop {
                    std::hint::black_box(0);
                },
                "memory" => {
                    let mut hoard: Vec<Vec<u8>> = Vec::new();
                    loop {
                        hoard.push(vec![1u8; 16 << 20]);
                        std::hint::black_box(&hoard);
                    }
                }
                "exit" => std::process::exit(3),
                "snoop" => {
                    let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                    let root = std::fs::read_dir("/").map(|d| d.count()).map_err(|e| e.to_string());
                    let file = std::fs::read_to_string("/etc/passwd").map_err(|e| e.to_string());
                    ok(format!("{{\"vars\":{},\"root\":{:?},\"passwd\":{:?}}}", vars.len(), root.is_ok(), file.is_ok()))
                }
                _ => ok("{}".into()),
            }
        }
        fn map_customer(_: String, _: Settings) -> Result<Mapped, MapError> {
            ok("{}".into())
        }
        fn map_product(_: String, _: Option<String>, _: Settings) -> Result<Mapped, MapError> {
            ok("{}".into())
        }
        fn reconcile_stock(_: String, _: String, _: Settings) -> Result<StockPlan, MapError> {
            Ok(StockPlan { updates: Vec::new(), only_in_fortnox: Vec::new(), only_in_woo: Vec::new() })
        }
        fn map_invoice(_: String, _: Settings) -> Result<Mapped, MapError> {
            ok("{}".into())
        }
        fn map_credit_note(_: String, _: Settings) -> Result<Mapped, MapError> {
            ok("{}".into())
        }
        fn map_refund(_: String, _: String, _: Settings) -> Result<Mapped, MapError> {
            ok("{}".into())
        }
    }

    export!(Misbehaving);
}
