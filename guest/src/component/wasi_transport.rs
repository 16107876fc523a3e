//! The guest's transport over `wasi:http/outgoing-handler`. It sends exactly what the flow
//! built; the host adds credentials and decides whether the destination is allowed.

use super::wasi::http::outgoing_handler;
use super::wasi::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
use super::wasi::io::streams::StreamError;
use crate::sync::transport::{Request, Response, Transport, TransportError};

pub struct WasiTransport;

impl Transport for WasiTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let outgoing = build(request)?;
        let body = outgoing.body().map_err(|_| TransportError::Failed("request body unavailable".into()))?;
        let future = outgoing_handler::handle(outgoing, None).map_err(refused)?;
        write_body(body, request.body.as_deref())?;
        future.subscribe().block();
        let response = match future.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(refused(code)),
            _ => return Err(unknown(request, "no response")),
        };
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let status = response.status();
        let incoming = response.consume().map_err(|_| unknown(request, "response body unavailable"))?;
        let stream = incoming.stream().map_err(|_| unknown(request, "response body unavailable"))?;
        let mut body = Vec::new();
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => body.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => return Err(unknown(request, &e.to_debug_string())),
            }
        }
        Ok(Response { status, headers, body })
    }
}

fn build(request: &Request) -> Result<OutgoingRequest, TransportError> {
    let invalid = |what: &str| TransportError::Failed(format!("{what} in {}", request.url));
    let (scheme, rest) = request.url.split_once("://").ok_or_else(|| invalid("no scheme"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let entries: Vec<(String, Vec<u8>)> =
        request.headers.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect();
    let fields = Fields::from_list(&entries).map_err(|e| TransportError::Denied(format!("header refused: {e:?}")))?;
    let outgoing = OutgoingRequest::new(fields);
    let method = match request.method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_owned()),
    };
    let scheme = match scheme {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        other => Scheme::Other(other.to_owned()),
    };
    outgoing.set_method(&method).map_err(|_| invalid("method"))?;
    outgoing.set_scheme(Some(&scheme)).map_err(|_| invalid("scheme"))?;
    outgoing.set_authority(Some(authority)).map_err(|_| invalid("authority"))?;
    outgoing.set_path_with_query(Some(path)).map_err(|_| invalid("path"))?;
    Ok(outgoing)
}

fn write_body(body: OutgoingBody, bytes: Option<&[u8]>) -> Result<(), TransportError> {
    if let Some(bytes) = bytes {
        let stream = body.write().map_err(|_| TransportError::Failed("request body unavailable".into()))?;
        for chunk in bytes.chunks(4096) {
            stream.blocking_write_and_flush(chunk).map_err(|e| TransportError::Failed(format!("{e:?}")))?;
        }
        drop(stream);
    }
    OutgoingBody::finish(body, None).map_err(|e| TransportError::Failed(format!("{e:?}")))
}

fn refused(code: ErrorCode) -> TransportError {
    match code {
        ErrorCode::HttpRequestDenied => TransportError::Denied("destination not allowed for this connection".into()),
        ErrorCode::ConnectionRefused | ErrorCode::DestinationNotFound | ErrorCode::DestinationUnavailable => {
            TransportError::Failed(format!("{code:?}"))
        }
        other => TransportError::OutcomeUnknown(described(&other)),
    }
}

/// The host explains its own failures (a refused certificate, say) in words; those words
/// reach the user as they are.
fn described(code: &ErrorCode) -> String {
    match code {
        ErrorCode::InternalError(Some(text)) => text.clone(),
        other => format!("{other:?}"),
    }
}

fn unknown(request: &Request, why: &str) -> TransportError {
    if request.method == "GET" {
        TransportError::Failed(why.to_owned())
    } else {
        TransportError::OutcomeUnknown(why.to_owned())
    }
}
