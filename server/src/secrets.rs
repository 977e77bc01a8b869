//! Encryption at rest for env secrets and stored credentials (XChaCha20-Poly1305).
//!
//! The key comes from `SLIPWAY_SECRET_KEY` (base64, 32 bytes) or is generated once
//! into `<data dir>/secret.key` with 0600 permissions.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::config::Config;

const PREFIX: &str = "v1:";
const KEY_FILE: &str = "secret.key";

#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<XChaCha20Poly1305>,
}

impl SecretBox {
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        // An empty value (e.g. an unset compose variable) means "not configured".
        let key = match config.secret_key.as_deref().filter(|k| !k.trim().is_empty()) {
            Some(encoded) => decode_key(encoded).context("SLIPWAY_SECRET_KEY")?,
            None => load_or_create_key_file(&config.data_dir.join(KEY_FILE))?,
        };
        Ok(Self::from_key(&key))
    }

    pub fn from_key(key: &[u8; 32]) -> Self {
        Self { cipher: Arc::new(XChaCha20Poly1305::new(key.into())) }
    }

    pub fn encrypt(&self, plaintext: &str) -> anyhow::Result<String> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self.cipher.encrypt(&nonce, plaintext.as_bytes()).map_err(|_| anyhow!("encryption failed"))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", B64.encode(blob)))
    }

    pub fn decrypt(&self, stored: &str) -> anyhow::Result<String> {
        let encoded = stored.strip_prefix(PREFIX).ok_or_else(|| anyhow!("unknown secret format"))?;
        let blob = B64.decode(encoded)?;
        if blob.len() < 24 {
            bail!("secret too short");
        }
        let (nonce, ciphertext) = blob.split_at(24);
        let plaintext = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| anyhow!("secret cannot be decrypted with this key"))?;
        Ok(String::from_utf8(plaintext)?)
    }
}

fn decode_key(encoded: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = B64.decode(encoded.trim()).context("not valid base64")?;
    bytes.try_into().map_err(|_| anyhow!("must decode to exactly 32 bytes"))
}

fn load_or_create_key_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    if path.exists() {
        let encoded = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return decode_key(&encoded).with_context(|| format!("key file {}", path.display()));
    }
    let key: [u8; 32] = XChaCha20Poly1305::generate_key(&mut OsRng).into();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(B64.encode(key).as_bytes())?;
    file.sync_all()?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_uses_fresh_nonces() {
        let secrets = SecretBox::from_key(&[7; 32]);
        let a = secrets.encrypt("hunter2").unwrap();
        let b = secrets.encrypt("hunter2").unwrap();
        assert_ne!(a, b);
        assert!(!a.contains("hunter2"));
        assert_eq!(secrets.decrypt(&a).unwrap(), "hunter2");
    }

    #[test]
    fn a_different_key_cannot_decrypt() {
        let stored = SecretBox::from_key(&[1; 32]).encrypt("x").unwrap();
        assert!(SecretBox::from_key(&[2; 32]).decrypt(&stored).is_err());
    }

    #[test]
    fn key_file_is_created_once_with_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let first = load_or_create_key_file(&path).unwrap();
        let second = load_or_create_key_file(&path).unwrap();
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
