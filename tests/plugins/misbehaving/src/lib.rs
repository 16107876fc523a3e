//! A test plugin that misbehaves on request, to prove the host's sandbox and limits. Never
//! shipped. `map-order` reads its first argument as the misdeed: `panic`, `loop`,
//! `memory`, `exit`, or `snoop` (report what of the host it can see); anything else
//! answers `{}`. `sync.check` reads the settings' store id as its misdeed: `set-authorization`
//! (try to send its own credentials), `fetch` (GET the Fortnox endpoint itself, answering
//! the status), `keyvalue` (write and read its store).

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ path: "../../../wit", world: "connector", generate_all });

    use exports::woonox::connector::mapping::{Guest, GuestMapper, Mapper, OrderInput, ProductInput, StockInput};
    use exports::woonox::connector::sync::{self, ConnectionCheck, Endpoints, Flow, Report, RunOptions, SyncError};
    use wasi::http::types::{Fields, OutgoingRequest, Scheme};
    use woonox::connector::types::{MapError, Mapped, Settings, StockPlan};

    struct Misbehaving;

    fn ok(body: String) -> Result<Mapped, MapError> {
        Ok(Mapped { body, warnings: Vec::new() })
    }

    /// The batch mapper is not among the misdeeds: making one is refused.
    struct NoBatch;

    impl GuestMapper for NoBatch {
        fn create(_: Settings) -> Result<Mapper, MapError> {
            Err(MapError::NotYetSupported("mapper".into()))
        }
        fn map_orders(&self, _: Vec<OrderInput>) -> Vec<Result<Mapped, MapError>> {
            Vec::new()
        }
        fn map_customers(&self, _: Vec<String>) -> Vec<Result<Mapped, MapError>> {
            Vec::new()
        }
        fn map_products(&self, _: Vec<ProductInput>) -> Vec<Result<Mapped, MapError>> {
            Vec::new()
        }
        fn reconcile_stock(&self, _: Vec<StockInput>) -> Vec<Result<StockPlan, MapError>> {
            Vec::new()
        }
    }

    impl Guest for Misbehaving {
        type Mapper = NoBatch;

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

    fn count(n: usize) -> Result<ConnectionCheck, SyncError> {
        Ok(ConnectionCheck { fortnox_articles: n as u32, woocommerce_products: 0 })
    }

    /// GETs `url` with the given headers and answers the status (0: refused or failed).
    fn fetch(url: &str, headers: &[(String, Vec<u8>)]) -> Result<u16, String> {
        let fields = Fields::from_list(headers).map_err(|e| format!("header refused: {e:?}"))?;
        let (scheme, rest) = url.split_once("://").ok_or("no scheme")?;
        let (authority, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap_or((rest, "/".into()));
        let request = OutgoingRequest::new(fields);
        request.set_scheme(Some(&if scheme == "https" { Scheme::Https } else { Scheme::Http })).unwrap();
        request.set_authority(Some(authority)).unwrap();
        request.set_path_with_query(Some(&path)).unwrap();
        let future = wasi::http::outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
        future.subscribe().block();
        match future.get() {
            Some(Ok(Ok(response))) => Ok(response.status()),
            other => Err(format!("{other:?}")),
        }
    }

    impl sync::Guest for Misbehaving {
        fn check(endpoints: Endpoints, settings: Settings) -> Result<ConnectionCheck, SyncError> {
            let articles = format!("{}/3/articles", endpoints.fortnox);
            match settings.store_id.as_str() {
                "set-authorization" => {
                    let stolen = vec![("Authorization".to_owned(), b"Bearer guest-made".to_vec())];
                    fetch(&articles, &stolen).map(|s| count(s as usize)).map_err(SyncError::Connection)?
                }
                "fetch" => fetch(&articles, &[]).map(|s| count(s as usize)).map_err(SyncError::Connection)?,
                "keyvalue" => {
                    use wasi::keyvalue::store;
                    let bucket = store::open("").map_err(|e| SyncError::Connection(format!("{e:?}")))?;
                    bucket.set("probe", b"four").map_err(|e| SyncError::Connection(format!("{e:?}")))?;
                    let back = bucket.get("probe").map_err(|e| SyncError::Connection(format!("{e:?}")))?;
                    count(back.map(|v| v.len()).unwrap_or(0))
                }
                _ => count(0),
            }
        }
        fn run(_: Flow, _: Endpoints, _: RunOptions, _: Settings) -> Result<Report, SyncError> {
            Err(SyncError::NotYetSupported("test plugin".into()))
        }

        fn run_all(_: Vec<Flow>, _: Endpoints, _: RunOptions, _: Settings) -> sync::RunAllOutcome {
            sync::RunAllOutcome { reports: Vec::new(), stopped: Some(SyncError::NotYetSupported("test plugin".into())) }
        }

        fn handle_event(_: String, _: String, _: String, _: Endpoints, _: Settings) -> Result<Report, SyncError> {
            Err(SyncError::NotYetSupported("test plugin".into()))
        }

        fn doctor(_: Endpoints, _: Settings, _: sync::DoctorOptions) -> Vec<sync::Finding> {
            Vec::new()
        }
    }

    export!(Misbehaving);
}
