//! Secrets kept in a shared state are sealed with XChaCha20-Poly1305 under a key that each
//! host reads from `WOONOX_SECRET_KEY` or a key file, never from the database: whoever can
//! read the database alone learns no token. Each sealed value is bound to its connection
//! and name, so a row copied onto another connection does not open.

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

const NONCE: usize = 24;

pub struct SecretKey(XChaCha20Poly1305);

impl SecretKey {
    /// `WOONOX_SECRET_KEY` (base64 of 32 bytes), else the first line of `file`.
    pub fn load(file: Option<&Path>) -> Result<SecretKey> {
        let (text, from) = match (std::env::var("WOONOX_SECRET_KEY"), file) {
            (Ok(text), _) => (text, "WOONOX_SECRET_KEY".to_owned()),
            (Err(_), Some(file)) => (read_private(file)?, file.display().to_string()),
            (Err(_), None) => bail!(
                "a shared state keeps secrets encrypted and needs a key: set WOONOX_SECRET_KEY or \
                 [state] key-file to 32 random bytes in base64 (`head -c 32 /dev/urandom | base64`), \
                 the same on every host"
            ),
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .with_context(|| format!("the secret key in {from} is not 32 bytes in base64"))?;
        Ok(SecretKey(XChaCha20Poly1305::new_from_slice(&bytes)?))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(XChaCha20Poly1305::new(&bytes.into()))
    }

    /// nonce ‖ ciphertext.
    pub fn seal(&self, bound_to: &str, plain: &[u8]) -> Result<Vec<u8>> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .0
            .encrypt(&nonce, Payload { msg: plain, aad: bound_to.as_bytes() })
            .map_err(|_| anyhow::anyhow!("cannot encrypt a secret"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub fn open(&self, bound_to: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < NONCE {
            bail!("the secret {bound_to} in the shared state is damaged");
        }
        let (nonce, body) = sealed.split_at(NONCE);
        self.0.decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: bound_to.as_bytes() }).map_err(|_| {
            anyhow::anyhow!(
                "the secret {bound_to} in the shared state does not open with this host's key: every host needs \
                 the same WOONOX_SECRET_KEY (or key file) as the host that connected it"
            )
        })
    }
}

/// A key file that others can read is no secret.
fn read_private(file: &Path) -> Result<String> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read the secret key file {}", file.display()))?;
    if meta.mode() & 0o077 != 0 {
        bail!("the secret key file {} can be read by other users; fix: `chmod 600 {0}`", file.display());
    }
    Ok(std::fs::read_to_string(file)?.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_key_and_the_place_they_were_sealed_for() {
        let key = SecretKey::from_bytes([7; 32]);
        let sealed = key.seal("shop/fortnox-tokens", b"{\"refresh_token\":\"r1\"}").unwrap();
        assert!(!sealed.windows(2).any(|w| w == b"r1"), "the token is not readable in the row");
        assert_eq!(key.open("shop/fortnox-tokens", &sealed).unwrap(), b"{\"refresh_token\":\"r1\"}");
        assert!(key.open("other/fortnox-tokens", &sealed).is_err(), "bound to its connection");
        let other = SecretKey::from_bytes([8; 32]);
        assert!(other.open("shop/fortnox-tokens", &sealed).unwrap_err().to_string().contains("same WOONOX_SECRET_KEY"));
        assert_ne!(key.seal("shop/x", b"v").unwrap(), key.seal("shop/x", b"v").unwrap(), "a fresh nonce each time");
    }
}
