//! The login form: a browser gives the status token once, in a POST body, and gets an
//! HttpOnly, SameSite=Strict session cookie, so the token never appears in a URL (URLs
//! end up in proxy logs, history and `Referer`). Scripts send `Authorization: Bearer`.

use super::Shared;
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::Arc;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}input{margin:0 .5rem}";

/// The form, with `status` and a line saying why it is shown.
pub fn form(status: StatusCode, why: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>woonox: sign in</title><style>{STYLE}</style>\
         </head><body><h1>woonox</h1><p>{why}</p><form method=post action=/login><label>Status token\
         <input type=password name=token autocomplete=current-password autofocus></label><button>Sign in</button>\
         </form></body></html>"
    );
    (status, Html(html)).into_response()
}

pub async fn page(State(shared): State<Arc<Shared>>) -> Response {
    if !shared.guard.wants_token() {
        return Redirect::to("/").into_response();
    }
    form(StatusCode::OK, "Sign in with the status token.")
}

pub async fn submit(State(shared): State<Arc<Shared>>, Form(form_data): Form<HashMap<String, String>>) -> Response {
    let given = form_data.get("token").map(String::as_str).unwrap_or_default();
    match shared.guard.session_cookie() {
        Some(cookie) if shared.guard.is_token(given) => {
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        Some(_) => form(StatusCode::UNAUTHORIZED, "That is not the status token."),
        None => Redirect::to("/").into_response(),
    }
}
