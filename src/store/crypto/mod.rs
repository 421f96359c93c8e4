//! Secret encryption at rest: XChaCha20-Poly1305 under a 256-bit key kept outside the
//! database (a 0600 key file or `MCP_ONBOARD_KEY`).
//!
//! Every ciphertext is bound to its slot by the associated data, so a ciphertext copied to
//! another tenant's slot fails to open. There is no plaintext fallback: no key, no start.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

mod key_file;
mod slot;

pub use key_file::{sync_dir, write_key_file};
pub use slot::{flow_slot, secret_prefix, secret_slot, slug_of_secret_slot, tenant_key_slot};

const NONCE_LEN: usize = 24;

/// The key check: this text sealed under the master key, in this slot, stored as the
/// record `key_check` of `meta`. A key that does not open it is not the database's.
pub const KEY_CHECK_TEXT: &[u8] = b"mcp-onboard key check";
pub const KEY_CHECK_SLOT: &[u8] = b"meta/key_check";
/// Where the key check is stored: its section (`meta`) and key.
pub const KEY_CHECK_RECORD: (&str, &[u8]) = ("meta", b"key_check");

/// Where the database key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Base64 of 32 bytes, from `MCP_ONBOARD_KEY`.
    Env(SecretString),
    /// A key file, created 0600 when a new database is created.
    File(PathBuf),
}

#[derive(Debug, Error)]
pub enum KeyError {
    #[error(
        "MCP_ONBOARD_KEY is not a valid key: expected base64 of exactly 32 bytes (make one with `head -c 32 /dev/urandom | base64`)"
    )]
    BadEnvKey,
    #[error("key file {path} is not a valid key: expected base64 of exactly 32 bytes")]
    BadKeyFile { path: PathBuf },
    #[error("key file {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`")]
    KeyFileTooOpen { path: PathBuf, mode: u32 },
    #[error(
        "the database already exists but its key file {path} is missing; restore the key file or set MCP_ONBOARD_KEY to the key it was created with (secrets cannot be read without it)"
    )]
    MissingKey { path: PathBuf },
    #[error("cannot use key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Error)]
#[error("a secret could not be decrypted: the key does not match, or the data was altered")]
pub struct DecryptError;

/// The AEAD with its key. Debug never shows the key.
pub struct Cipher {
    aead: XChaCha20Poly1305,
    /// The audit chain's MAC key, derived from the master key.
    audit_key: Zeroizing<[u8; 32]>,
    /// The Continue form token's key, derived from the master key.
    form_key: Zeroizing<[u8; 32]>,
    /// The key a backup file is authenticated under.
    backup_key: Zeroizing<[u8; 32]>,
    /// The key a webhook receiver's URL is hashed under, to name it without storing it.
    webhook_key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(..)")
    }
}

/// A key for one use: HMAC-SHA256 under the master key of that use's label (another key
/// from the same secret, never the master key itself; one label per use).
fn derive_key(master: &[u8; 32], label: &[u8]) -> Zeroizing<[u8; 32]> {
    use hmac::Mac;
    let mut out = Zeroizing::new([0u8; 32]);
    if let Ok(mut m) = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(master) {
        m.update(label);
        out.copy_from_slice(&m.finalize().into_bytes());
    }
    out
}

const AUDIT_LABEL: &[u8] = b"mcp-onboard audit chain v1";
const BACKUP_LABEL: &[u8] = b"mcp-onboard backup file v2";
const WEBHOOK_LABEL: &[u8] = b"mcp-onboard webhook receiver v1";
const FORM_LABEL: &[u8] = b"mcp-onboard continue form v1";

/// HMAC-SHA256 under `key`.
fn hmac(key: &[u8; 32]) -> hmac::Hmac<sha2::Sha256> {
    // HMAC pads a key shorter than its block (64 bytes) with zeros: the MAC under the
    // padded block is the MAC under the 32-byte key, and this way has no failure case.
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(key);
    <hmac::Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new(&(*block).into())
}

/// The key's bytes from its base64 text; every copy is wiped when dropped.
fn decode_key(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    let text = text.trim();
    let bytes = Zeroizing::new(
        STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .ok()?,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return None;
    }
    key.copy_from_slice(&bytes);
    Some(key)
}

impl Cipher {
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self {
            aead: XChaCha20Poly1305::new(key.into()),
            audit_key: derive_key(key, AUDIT_LABEL),
            form_key: derive_key(key, FORM_LABEL),
            backup_key: derive_key(key, BACKUP_LABEL),
            webhook_key: derive_key(key, WEBHOOK_LABEL),
        }
    }

    /// The key of the Continue form's token (see [`crate::domain::consent::form_token`]).
    pub fn form_key(&self) -> &[u8; 32] {
        &self.form_key
    }

    /// A MAC over a whole backup file: feed it the file's bytes.
    pub fn backup_mac(&self) -> hmac::Hmac<sha2::Sha256> {
        hmac(&self.backup_key)
    }

    /// How a webhook receiver without an explicit id is recorded: a keyed hash of its URL
    /// (the URL, which may carry a password or a token, is never stored).
    pub fn webhook_receiver(&self, url: &str) -> String {
        use hmac::Mac;
        let mut m = hmac(&self.webhook_key);
        m.update(url.as_bytes());
        let digest = m.finalize().into_bytes();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("url-hmac:{hex}")
    }

    /// The audit head's MAC: HMAC-SHA256 of the last sequence number and hash.
    pub fn audit_mac(&self, seq: u64, hash: &str) -> String {
        use hmac::Mac;
        let mut m = hmac(&self.audit_key);
        m.update(&seq.to_be_bytes());
        m.update(hash.as_bytes());
        m.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Load the key; create a key file only when `may_create` (a brand-new database).
    pub fn load(source: &KeySource, may_create: bool) -> Result<Self, KeyError> {
        match source {
            KeySource::Env(text) => decode_key(text.expose_secret())
                .map(|k| Self::from_key(&k))
                .ok_or(KeyError::BadEnvKey),
            KeySource::File(path) => Self::load_file(path, may_create),
        }
    }

    fn load_file(path: &Path, may_create: bool) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        match fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(KeyError::KeyFileTooOpen {
                        path: path.to_owned(),
                        mode,
                    });
                }
                let text = Zeroizing::new(fs::read_to_string(path).map_err(io)?);
                decode_key(&text)
                    .map(|k| Self::from_key(&k))
                    .ok_or_else(|| KeyError::BadKeyFile {
                        path: path.to_owned(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !may_create {
                    return Err(KeyError::MissingKey {
                        path: path.to_owned(),
                    });
                }
                let mut key = Zeroizing::new([0u8; 32]);
                key.copy_from_slice(&XChaCha20Poly1305::generate_key(&mut OsRng));
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir).map_err(io)?;
                }
                key_file::write_key_file(path, &key, false).map_err(io)?;
                Ok(Self::from_key(&key))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Encrypt: `nonce || ciphertext`, bound to `slot`.
    pub fn seal(&self, slot: &[u8], plaintext: &[u8]) -> Vec<u8> {
        // ThreadRng is a CSPRNG seeded from the OS; 192-bit random nonces never repeat in
        // practice.
        let nonce = XChaCha20Poly1305::generate_nonce(&mut rand::thread_rng());
        let payload = Payload {
            msg: plaintext,
            aad: slot,
        };
        // Encryption with a valid key and nonce only fails for messages over 256 GiB.
        let ct = self.aead.encrypt(&nonce, payload).unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, slot: &[u8], sealed: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < NONCE_LEN {
            return Err(DecryptError);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.aead
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: slot })
            .map_err(|_| DecryptError)
    }

    pub fn open_string(&self, slot: &[u8], sealed: &[u8]) -> Result<SecretString, DecryptError> {
        let bytes = self.open(slot, sealed)?;
        String::from_utf8(bytes)
            .map(SecretString::from)
            .map_err(|e| {
                // Not text: wipe what was decrypted before letting it go.
                e.into_bytes().zeroize();
                DecryptError
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_only_in_its_slot_and_with_its_key() {
        let c = Cipher::from_key(&[7; 32]);
        let sealed = c.seal(b"tenant/acme", b"1//refresh");
        assert!(!sealed.windows(10).any(|w| w == b"1//refresh"));
        assert_eq!(
            c.open(b"tenant/acme", &sealed).ok(),
            Some(b"1//refresh".to_vec())
        );
        assert!(c.open(b"tenant/other", &sealed).is_err());
        assert!(
            Cipher::from_key(&[8; 32])
                .open(b"tenant/acme", &sealed)
                .is_err()
        );
        assert!(c.open(b"tenant/acme", &sealed[..10]).is_err());
    }

    #[test]
    fn key_file_is_created_0600_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/key");
        let src = KeySource::File(path.clone());
        assert!(matches!(
            Cipher::load(&src, false),
            Err(KeyError::MissingKey { .. })
        ));
        let c1 = Cipher::load(&src, true).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let c2 = Cipher::load(&src, false).unwrap();
        let sealed = c1.seal(b"s", b"x");
        assert_eq!(c2.open(b"s", &sealed).unwrap(), b"x");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = Cipher::load(&src, false).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn derived_keys_are_one_per_use_and_the_audit_mac_is_unchanged() {
        use hmac::Mac;
        let c = Cipher::from_key(&[7; 32]);
        // As the audit MAC was made before (the key from a slice).
        let mut k = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&[7; 32]).unwrap();
        k.update(AUDIT_LABEL);
        let audit_key = k.finalize().into_bytes();
        let mut m = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&audit_key).unwrap();
        m.update(&5u64.to_be_bytes());
        m.update(b"abc");
        let want: String = m
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(c.audit_mac(5, "abc"), want);
        assert_ne!(*c.audit_key, *c.backup_key);
        assert_ne!(*c.backup_key, *c.webhook_key);
        let id = c.webhook_receiver("https://u:p@hooks.example/t0k");
        assert!(id.starts_with("url-hmac:") && !id.contains("t0k"), "{id}");
        assert_ne!(
            id,
            Cipher::from_key(&[8; 32]).webhook_receiver("https://u:p@hooks.example/t0k")
        );
    }

    #[test]
    fn env_key_must_be_32_bytes_of_base64() {
        let good = KeySource::Env(SecretString::from(STANDARD.encode([1u8; 32])));
        assert!(Cipher::load(&good, false).is_ok());
        let bad = KeySource::Env(SecretString::from("c2hvcnQ=".to_owned()));
        assert!(matches!(
            Cipher::load(&bad, false),
            Err(KeyError::BadEnvKey)
        ));
    }
}
