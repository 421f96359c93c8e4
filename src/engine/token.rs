//! The random codes the consent flow hands out (link codes, OAuth states, import ids) and
//! how they are stored: by their SHA-256 only.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 16 random bytes = 128 bits, base64url without padding.
pub const LINK_CODE_LEN: usize = 22;
/// 32 random bytes, base64url without padding.
pub const STATE_LEN: usize = 43;

/// `bytes` random bytes, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // ThreadRng: a ChaCha CSPRNG seeded (and reseeded) from the OS; no syscall per token.
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// A well-formed link code or state: base64url characters of the exact length.
pub fn well_formed(token: &str, len: usize) -> bool {
    token.len() == len
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new link code, its hash (what is stored) and its id (what operators see: the first
/// hex digits of the hash).
pub fn new_link_code() -> (String, [u8; 32], String) {
    let code = random_token(16);
    let hash = sha256(&code);
    let id = hex(&hash[..4]);
    (code, hash, id)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Decode our own hex; anything malformed gives bytes that match no link.
pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| text.get(2 * i..2 * i + 2))
        .filter_map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_round_trips() {
        let b = [0u8, 1, 0xab, 0xff, 0x10];
        assert_eq!(super::hex(&b), "0001abff10");
        assert_eq!(super::unhex(&super::hex(&b)), b);
    }

    #[test]
    fn a_link_id_is_the_start_of_its_hash() {
        let (code, hash, id) = super::new_link_code();
        assert!(super::well_formed(&code, super::LINK_CODE_LEN));
        assert_eq!(hash, super::sha256(&code));
        assert_eq!(id, super::hex(&hash[..4]));
        assert_eq!(id.len(), 8);
    }
}
