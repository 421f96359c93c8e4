//! Where each secret is sealed: the slot every ciphertext is bound to (its associated
//! data), the same whichever backend holds it, and the sealing that goes with each kind
//! (a tenant's data key under the master key, a flow's PKCE verifier).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

use super::{Cipher, DecryptError};

/// A tenant's secret `name`.
pub fn secret_slot(slug: &str, name: &str) -> Vec<u8> {
    format!("tenant/{slug}/{name}").into_bytes()
}

/// Every secret slot of a tenant starts with this.
pub fn secret_prefix(slug: &str) -> Vec<u8> {
    format!("tenant/{slug}/").into_bytes()
}

/// The slug of a secret's slot (`tenant/SLUG/NAME`).
pub fn slug_of_secret_slot(slot: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(slot).ok()?;
    let rest = s.strip_prefix("tenant/")?;
    rest.split_once('/').map(|(slug, _)| slug)
}

/// A tenant's data key is sealed under the master key in this slot.
pub fn tenant_key_slot(slug: &str) -> Vec<u8> {
    format!("tenant_key/{slug}").into_bytes()
}

/// A pending flow's PKCE verifier (the flow stored under the SHA-256 `hash` of its state).
pub fn flow_slot(hash: &[u8]) -> Vec<u8> {
    let mut s = b"flow/".to_vec();
    s.extend_from_slice(hash);
    s
}

impl Cipher {
    /// A tenant's data key from its sealed form (`None`: the tenant has none, or it was
    /// destroyed at offboarding, and nothing of it can be opened).
    pub fn tenant_cipher(&self, slug: &str, sealed: Option<&[u8]>) -> Result<Cipher, DecryptError> {
        let sealed = sealed.ok_or(DecryptError)?;
        let key = zeroize::Zeroizing::new(self.open(&tenant_key_slot(slug), sealed)?);
        let key: &[u8; 32] = key.as_slice().try_into().map_err(|_| DecryptError)?;
        Ok(Cipher::from_key(key))
    }

    /// A new data key for `slug`, and its form sealed under this (master) key.
    pub fn new_tenant_key(&self, slug: &str) -> (Cipher, Vec<u8>) {
        use rand::RngCore;
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        rand::thread_rng().fill_bytes(key.as_mut());
        let sealed = self.seal(&tenant_key_slot(slug), key.as_ref());
        (Cipher::from_key(&key), sealed)
    }

    /// Seal a flow's PKCE verifier (base64, as a flow record keeps it).
    pub fn seal_flow_verifier(&self, state_hash: &[u8], verifier: &SecretString) -> String {
        let sealed = self.seal(&flow_slot(state_hash), verifier.expose_secret().as_bytes());
        STANDARD.encode(sealed)
    }

    /// Open a flow's PKCE verifier sealed by [`Cipher::seal_flow_verifier`].
    pub fn open_flow_verifier(
        &self,
        state_hash: &[u8],
        sealed: &str,
    ) -> Result<SecretString, DecryptError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| DecryptError)?;
        self.open_string(&flow_slot(state_hash), &bytes)
    }
}
