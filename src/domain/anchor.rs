//! An anchor of the audit chain: an entry's sequence number and hash, noted outside the box
//! (`audit head`), written `SEQ:HASH`. A chain that still has that hash at that number
//! extends the anchored one; a rolled-back or rewritten chain does not.

use serde::{Deserialize, Serialize};

/// The number of the genesis entry, which every chain starts with.
pub const GENESIS_SEQ: u64 = 0;
/// The genesis entry's `kind`.
pub const GENESIS_KIND: &str = "genesis";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditAnchor {
    pub seq: u64,
    /// The entry's hash: 64 lowercase hex digits.
    pub hash: String,
}

impl std::str::FromStr for AuditAnchor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?}: expected SEQ:HASH as `audit head` prints it (e.g. 42:3fa4…)");
        let (seq, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let seq: u64 = seq.parse().map_err(|_| bad())?;
        let hash = hash.to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Self { seq, hash })
    }
}

impl std::fmt::Display for AuditAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anchor_reads_as_seq_colon_hash_and_prints_the_same() {
        let h = "ab".repeat(32);
        let a: AuditAnchor = format!("17:{}", h.to_uppercase()).parse().unwrap();
        assert_eq!(a.seq, 17);
        assert_eq!(a.to_string(), format!("17:{h}"));
        for bad in [
            "17",
            "x:ab",
            &format!("17:{}", &h[..63]),
            &format!("17:{h}zz"),
        ] {
            assert!(bad.parse::<AuditAnchor>().is_err(), "{bad}");
        }
    }
}
