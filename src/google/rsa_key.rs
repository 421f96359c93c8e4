//! An RSA private key as Google hands it out (a service account's `private_key`: PEM,
//! PKCS#8) read into what the JWT library signs with (PKCS#1 DER), and its public
//! modulus and exponent (a JWK's `n` and `e`). A small reader of the few DER shapes
//! involved, so no ASN.1 library is needed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("not a PEM private key (-----BEGIN PRIVATE KEY-----)")]
    NotPem,
    #[error("not an RSA private key")]
    NotRsa,
}

/// One DER element at the start of `der`: its tag, its content and what follows it.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;

/// The PKCS#1 `RSAPrivateKey` DER of a PEM key, PKCS#8 (`PRIVATE KEY`) or PKCS#1
/// (`RSA PRIVATE KEY`).
pub fn pkcs1_from_pem(pem: &str) -> Result<Vec<u8>, KeyError> {
    let pkcs8 = pem.contains("-----BEGIN PRIVATE KEY-----");
    if !pkcs8 && !pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
        return Err(KeyError::NotPem);
    }
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    let der = STANDARD.decode(body).map_err(|_| KeyError::NotPem)?;
    let pkcs1 = if pkcs8 {
        // PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey OCTET STRING }
        let (tag, info, _) = element(&der).ok_or(KeyError::NotRsa)?;
        let (_, _, rest) = element(info)
            .filter(|e| tag == SEQUENCE && e.0 == INTEGER)
            .ok_or(KeyError::NotRsa)?;
        let (_, _, rest) = element(rest)
            .filter(|e| e.0 == SEQUENCE)
            .ok_or(KeyError::NotRsa)?;
        let (tag, key, _) = element(rest).ok_or(KeyError::NotRsa)?;
        if tag != OCTET_STRING {
            return Err(KeyError::NotRsa);
        }
        key.to_vec()
    } else {
        der
    };
    public_parts(&pkcs1).ok_or(KeyError::NotRsa)?;
    Ok(pkcs1)
}

/// The modulus and public exponent (big-endian, no leading zero) of a PKCS#1 key.
pub fn public_parts(pkcs1: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, ... }
    let (tag, key, _) = element(pkcs1)?;
    let (t0, _, rest) = element(key)?;
    let (t1, n, rest) = element(rest)?;
    let (t2, e, _) = element(rest)?;
    if tag != SEQUENCE || t0 != INTEGER || t1 != INTEGER || t2 != INTEGER {
        return None;
    }
    let trim = |b: &[u8]| {
        b.iter()
            .skip_while(|x| **x == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    Some((trim(n), trim(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_no_rsa_key_and_never_panics() {
        assert_eq!(pkcs1_from_pem("hello"), Err(KeyError::NotPem));
        assert_eq!(
            pkcs1_from_pem("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"),
            Err(KeyError::NotRsa)
        );
        for bytes in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x82, 0xff],
        ] {
            assert!(public_parts(bytes).is_none());
        }
    }
}
