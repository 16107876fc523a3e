//! Fortnox's published API spec (Swagger 2) as the Fortnox stand-in's oracle for write
//! bodies: every POST/PUT under `/3/` whose operation declares a body is checked against
//! that body's schema before any handler sees it, so one layer covers every handler.
//!
//! The spec is Fortnox AB's and may not be redistributed, so it is read at start-up from
//! outside the repository: `WOONOX_FORTNOX_SPEC`, else `shared/specs/` beside the clone.
//! Without it the stand-in still works, unchecked, and says so once on stderr.

use crate::fortnox::{State, admit, error};
use crate::fortnox_schema::{Checker, Violation};
use crate::lock;
use axum::body::Body;
use axum::extract::{Request, State as Axum};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// Where a clone finds the spec when the environment does not say: CI checks `shared/`
/// out beside the repository, as it is beside the worktrees here.
const BESIDE_THE_CLONE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/specs/fortnox/fortnox-api-swagger2.json");
/// Bodies above this are refused unread (Fortnox's own limit is not published).
const MAX_BODY: usize = 16 << 20;

/// The parts of the spec the check needs: each write operation's body schema by path
/// template, and the definitions its `$ref`s point into.
pub struct Spec {
    routes: Vec<Route>,
    definitions: Map<String, Value>,
}

struct Route {
    method: Method,
    /// The template's segments; `None` stands for a `{parameter}`.
    segments: Vec<Option<String>>,
    body: Value,
}

static SPEC: OnceLock<Option<Spec>> = OnceLock::new();

/// The spec, read once per process.
pub fn spec() -> Option<&'static Spec> {
    SPEC.get_or_init(load).as_ref()
}

/// Whether write bodies are being checked (tests assert it, so a missing spec is seen).
pub fn spec_loaded() -> bool {
    spec().is_some()
}

fn load() -> Option<Spec> {
    let path = std::env::var_os("WOONOX_FORTNOX_SPEC").map(PathBuf::from).unwrap_or_else(|| BESIDE_THE_CLONE.into());
    let parsed = std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).map_err(|e| e.to_string()))
        .and_then(|json| Spec::from_json(&json));
    match parsed {
        Ok(spec) => Some(spec),
        Err(why) => {
            eprintln!(
                "woonox-sim: Fortnox spec not read from {} ({why}); write bodies are NOT checked against it. \
                 Set WOONOX_FORTNOX_SPEC to its path.",
                path.display()
            );
            None
        }
    }
}

impl Spec {
    pub fn from_json(spec: &Value) -> Result<Spec, String> {
        let paths = spec["paths"].as_object().ok_or("no paths")?;
        let definitions = spec["definitions"].as_object().cloned().ok_or("no definitions")?;
        let mut routes = Vec::new();
        for (template, operations) in paths.iter().filter(|(t, _)| t.starts_with("/3/")) {
            for (method, operation) in operations.as_object().into_iter().flatten() {
                let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else { continue };
                if let Some(body) = body_schema(operation) {
                    routes.push(Route { method, segments: segments(template), body: body.clone() });
                }
            }
        }
        Ok(Spec { routes, definitions })
    }

    /// The body schema of the operation `method path` matches, preferring the template
    /// with the most literal segments (`/3/prices/sublist/{a}/{b}` over `/3/prices/{a}/{b}/{c}`).
    pub fn body_for(&self, method: &Method, path: &str) -> Option<&Value> {
        let wanted: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.routes
            .iter()
            .filter(|r| r.method == method && matches(&r.segments, &wanted))
            .max_by_key(|r| r.segments.iter().filter(|s| s.is_some()).count())
            .map(|r| &r.body)
    }

    /// Checks a whole body against a schema from [`Spec::body_for`].
    pub fn check(&self, schema: &Value, body: &Value) -> Result<(), Violation> {
        Checker::new(&self.definitions).body(schema, body)
    }

    /// A definition by name, e.g. `ArticleListItem`.
    pub fn definition(&self, name: &str) -> Option<&Value> {
        self.definitions.get(name)
    }
}

fn body_schema(operation: &Value) -> Option<&Value> {
    operation["parameters"].as_array()?.iter().find(|p| p["in"] == "body").map(|p| &p["schema"])
}

fn segments(template: &str) -> Vec<Option<String>> {
    template
        .trim_end_matches('/')
        .split('/')
        .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
        .collect()
}

fn matches(template: &[Option<String>], path: &[&str]) -> bool {
    template.len() == path.len() && template.iter().zip(path).all(|(t, p)| t.as_deref().is_none_or(|t| t == *p))
}

/// The layer: a body the spec refuses is answered 400 in Fortnox's error shape, after the
/// token and rate checks a real request would pass first (so it counts in the window).
pub async fn check(Axum(state): Axum<Arc<Mutex<State>>>, request: Request, next: Next) -> Response {
    let Some((spec, schema)) = spec().and_then(|s| Some((s, s.body_for(request.method(), request.uri().path())?)))
    else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return error(StatusCode::PAYLOAD_TOO_LARGE, 2001392, "Request body är för stor");
    };
    if !bytes.is_empty() {
        let refusal = match serde_json::from_slice::<Value>(&bytes) {
            Ok(json) => spec.check(schema, &json).err(),
            Err(_) => Some(Violation { code: 2002115, message: "Ogiltig JSON i request body".into() }),
        };
        if let Some(v) = refusal {
            // On stderr too, so a test run shows which bodies the spec refused and why.
            eprintln!(
                "woonox-sim: Fortnox spec refused {} {}: {} ({})",
                parts.method,
                parts.uri.path(),
                v.message,
                v.code
            );
            let mut s = lock(&state);
            return admit(&mut s, &parts.headers)
                .map_or_else(|r| r, |()| error(StatusCode::BAD_REQUEST, v.code, &v.message));
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
