//! WooCommerce's server side of OAuth 1.0a (class-wc-rest-authentication.php): collect the
//! parameters, sort by raw name, encode, sign with `secret&`, compare; then the timestamp
//! window and single-use nonces.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

const ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
pub const TIMESTAMP_WINDOW_SECS: i64 = 15 * 60;
pub const REQUIRED: [&str; 5] =
    ["oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"];

fn enc(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// The expected signature for `params` (which include every `oauth_*` but the signature).
pub fn expected_signature(
    method: &str,
    http_method: &str,
    base_url: &str,
    secret: &str,
    params: &[(String, String)],
) -> Option<String> {
    let mut sorted: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "oauth_signature").collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let joined = sorted.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
    let base = format!("{}&{}&{}", http_method, enc(base_url), enc(&joined));
    let key = format!("{secret}&");
    let digest = match method {
        "HMAC-SHA1" => {
            Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).ok()?.chain_update(base).finalize().into_bytes().to_vec()
        }
        "HMAC-SHA256" => Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
            .ok()?
            .chain_update(base)
            .finalize()
            .into_bytes()
            .to_vec(),
        _ => return None,
    };
    Some(base64::engine::general_purpose::STANDARD.encode(digest))
}

/// `oauth_*` parameters from an `Authorization: OAuth k="v", …` header (values decoded).
pub fn header_params(value: &str) -> Vec<(String, String)> {
    let Some(rest) = value.strip_prefix("OAuth ") else { return Vec::new() };
    rest.split(',')
        .filter_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            let v = v.trim_matches('"');
            let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned();
            (k.starts_with("oauth_")).then(|| (k.to_owned(), v))
        })
        .collect()
}
