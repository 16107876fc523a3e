//! Sends one HTTP/1.1 request with a given TLS configuration. wasmtime-wasi-http's
//! `default_send_request` trusts only its built-in roots; this is the same exchange with
//! the connection's trust (platform store, its CA file, its pin), used both for the
//! component's calls and for the host's own (`connect`, webhook setup).

use crate::wire::destination::Reach;
use crate::wire::tls::PeerFingerprint;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// Resolves when the connection is done; errors after the response head end up here.
pub type Io = Box<dyn Future<Output = Result<(), Error>> + Send>;

/// A refused certificate, or a host whose addresses `reach` does not allow, is
/// `Error::InternalError` with the reason in words the user can act on (see
/// `tls::explain`). A successful HTTPS answer carries the store's certificate fingerprint
/// as an extension.
pub async fn send(
    request: http::Request<Bytes>,
    options: RequestOptions,
    tls: &Arc<rustls::ClientConfig>,
    reach: Reach,
) -> Result<(http::Response<WasiBody>, Io), Error> {
    let uri = request.uri().clone();
    let host = uri.host().ok_or(Error::HttpRequestUriInvalid)?.trim_matches(|c| c == '[' || c == ']').to_owned();
    let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let limit = |d: Option<Duration>| d.unwrap_or(Duration::from_secs(600));
    let connect = async {
        // Connect to the very addresses that were checked, so the name cannot change between.
        let addrs =
            crate::wire::destination::resolve(&host, port, reach).await.map_err(|e| Error::InternalError(Some(e)))?;
        let tcp = TcpStream::connect(&addrs[..]).await.map_err(Error::Connect)?;
        if !https {
            return Ok::<_, Error>((hyper_handshake(Box::new(tcp)).await?, None));
        }
        let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|_| Error::HttpRequestUriInvalid)?;
        let connector = tokio_rustls::TlsConnector::from(tls.clone());
        let stream = connector.connect(name, tcp).await.map_err(|e| refused_certificate(&e, &host))?;
        let seen =
            stream.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| crate::wire::tls::fingerprint(c));
        Ok((hyper_handshake(Box::new(stream)).await?, seen))
    };
    let ((mut sender, conn), seen) =
        tokio::time::timeout(limit(options.connect_timeout), connect).await.map_err(|_| Error::ConnectionTimeout)??;
    // The connection runs on its own; the response body reads from it.
    let driver = tokio::spawn(conn);
    let (mut parts, body) = request.into_parts();
    // Only a proxy is sent the scheme and authority; an origin server gets the path.
    parts.uri = uri.path_and_query().map_or("/", |p| p.as_str()).parse().map_err(|_| Error::HttpRequestUriInvalid)?;
    if !parts.headers.contains_key(http::header::HOST) {
        let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
        parts.headers.insert(http::header::HOST, authority.parse().map_err(|_| Error::HttpRequestUriInvalid)?);
    }
    let request = http::Request::from_parts(parts, Full::new(body));
    let response = tokio::time::timeout(limit(options.first_byte_timeout), sender.send_request(request))
        .await
        .map_err(|_| Error::ConnectionReadTimeout)??;
    let between = limit(options.between_bytes_timeout).max(Duration::from_nanos(1));
    let mut response = response.map(|incoming| Timed::new(incoming, between).boxed_unsync());
    if let Some(fingerprint) = seen {
        response.extensions_mut().insert(PeerFingerprint(fingerprint));
    }
    let io: Io = Box::new(async move {
        match driver.await {
            Ok(result) => result.map_err(Error::from),
            Err(_) => Err(Error::ConnectionTerminated),
        }
    });
    Ok((response, io))
}

/// A failed handshake will fail again: say why once, here, for every caller.
fn refused_certificate(e: &std::io::Error, host: &str) -> Error {
    let why = crate::wire::tls::explain(e, host).unwrap_or_else(|| format!("TLS with {host} failed: {e}"));
    Error::InternalError(Some(why))
}

/// A plain or a TLS connection.
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Stream for T {}

type Handshake = (
    hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    hyper::client::conn::http1::Connection<TokioIo<Box<dyn Stream>>, Full<Bytes>>,
);

async fn hyper_handshake(stream: Box<dyn Stream>) -> Result<Handshake, Error> {
    Ok(hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)).await?)
}

/// The response body, failing when the server goes quiet for longer than `between` bytes.
struct Timed {
    incoming: Incoming,
    between: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Timed {
    fn new(incoming: Incoming, between: Duration) -> Timed {
        Timed { incoming, between, deadline: Box::pin(tokio::time::sleep(between)) }
    }
}

impl Body for Timed {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let next = tokio::time::Instant::now() + self.between;
                self.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::from(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Error::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}
