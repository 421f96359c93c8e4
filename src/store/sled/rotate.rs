//! Rotating the master key: every tenant's data key (and every pending flow's verifier, and
//! the key check) is re-sealed under a new master key in one transaction; the secrets
//! themselves, sealed under the tenant keys, are not touched. Needs the database to itself.
//!
//! Crash safety with a key file: the new key is written beside it first
//! (`<key file>.new`, 0600, synced), then the database is re-sealed and flushed, then the
//! new file is renamed over the old one. A crash before the flush leaves the old key
//! working (the `.new` file is stale and replaced next time); a crash after it leaves a
//! database only the `.new` key opens, and opening it finishes the rename (see `finish`).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sled::Transactional;
use zeroize::Zeroizing;

use super::layout::{self, META_KEY_CHECK, StoredFlow};
use crate::store::{
    Cipher, KEY_CHECK_SLOT, KEY_CHECK_TEXT, KeySource, StoreError, flow_slot, slug_of_secret_slot,
    sync_dir, tenant_key_slot, write_key_file,
};

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rotated {
    pub tenant_keys: usize,
    pub flows: usize,
    /// Where the new key is now.
    pub key_file: PathBuf,
}

/// The file a rotation writes the new key to before it replaces `path`.
pub fn pending_key_file(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    path.with_file_name(name)
}

/// Write the new key (see [`write_key_file`]), saying where it failed.
fn write_key(path: &Path, key: &[u8; 32], replace: bool) -> Result<(), StoreError> {
    write_key_file(path, key, replace)
        .map_err(|e| StoreError::Write(format!("writing the new key to {}: {e}", path.display())))
}

/// Rotate the master key of the database in `dir`. With a key file the new key replaces
/// it; with `MCP_ONBOARD_KEY` the new key is written to `new_key_file` (which must not
/// exist), for the operator to put where that variable comes from. The outbox's records of
/// the receivers at `webhook_urls` (keyed hashes of their URLs) are made again under the
/// new key, so they are not sent again what they took.
pub fn rotate(
    dir: &Path,
    key: &KeySource,
    new_key_file: Option<&Path>,
    webhook_urls: &[String],
) -> Result<Rotated, StoreError> {
    super::files::check_data_dir(dir)?;
    if !super::files::exists(dir) {
        return Err(StoreError::Write(format!(
            "{} holds no database",
            dir.display()
        )));
    }
    let db = super::files::open_sled(dir)?;
    let meta = db.open_tree("meta")?;
    let keys = db.open_tree("tenant_keys")?;
    let flows = db.open_tree("flows")?;
    let old = Cipher::load(key, false)?;
    let check = meta.get(META_KEY_CHECK)?.ok_or(StoreError::WrongKey)?;
    old.open(KEY_CHECK_SLOT, &check)
        .map_err(|_| StoreError::WrongKey)?;
    // Before schema 3 the secrets are sealed under the master key itself: rotating then
    // would lose them. Opening the database brings it up to date first.
    let schema = meta
        .get(layout::META_SCHEMA)?
        .and_then(|v| layout::u32_of(&v))
        .unwrap_or(0);
    if schema != layout::SCHEMA_VERSION {
        return Err(StoreError::Write(format!(
            "the database has schema version {schema}: run any command once (e.g. `mcp-onboard status`) to bring it up to version {}, then rotate",
            layout::SCHEMA_VERSION
        )));
    }

    let mut new_key = Zeroizing::new([0u8; 32]);
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), new_key.as_mut());
    let new = Cipher::from_key(&new_key);
    // Re-seal in memory first: nothing is written unless every piece opens.
    let mut key_rows = Vec::new();
    for kv in keys.iter() {
        let (slug, sealed) = kv?;
        let slug_text = String::from_utf8_lossy(&slug).into_owned();
        let slot = tenant_key_slot(&slug_text);
        let plain = Zeroizing::new(old.open(&slot, &sealed).map_err(|_| StoreError::Decrypt)?);
        key_rows.push((slug.to_vec(), new.seal(&slot, &plain)));
    }
    // Every secret must open with its tenant's key: nothing is sealed under the master key
    // that the rotation would strand.
    let secrets = db.open_tree("secrets")?;
    for kv in secrets.iter() {
        let (slot, sealed) = kv?;
        let slug = slug_of_secret_slot(&slot).unwrap_or_default().to_owned();
        let tk = keys.get(slug.as_bytes())?.ok_or(StoreError::Decrypt)?;
        let plain = Zeroizing::new(
            old.open(&tenant_key_slot(&slug), &tk)
                .map_err(|_| StoreError::Decrypt)?,
        );
        let k: &[u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Decrypt)?;
        Cipher::from_key(k)
            .open(&slot, &sealed)
            .map_err(|_| StoreError::Decrypt)?;
    }
    let mut flow_rows = Vec::new();
    for kv in flows.iter() {
        let (hash, raw) = kv?;
        let mut stored: StoredFlow = layout::decode("pending flow", &raw)?;
        let slot = flow_slot(&hash);
        let sealed = STANDARD
            .decode(&stored.verifier)
            .map_err(|_| StoreError::Decrypt)?;
        let plain = Zeroizing::new(old.open(&slot, &sealed).map_err(|_| StoreError::Decrypt)?);
        stored.verifier = STANDARD.encode(new.seal(&slot, &plain));
        flow_rows.push((hash.to_vec(), layout::encode(&stored)));
    }
    let outbox = db.open_tree("outbox")?;
    let renamed: Vec<(String, String)> = webhook_urls
        .iter()
        .map(|u| (old.webhook_receiver(u), new.webhook_receiver(u)))
        .collect();
    let mut outbox_rows = Vec::new();
    for kv in outbox.iter() {
        let (k, raw) = kv?;
        let mut e: crate::domain::outbox::OutboxEvent = layout::decode("outbox event", &raw)?;
        for d in &mut e.delivered {
            if let Some((_, to)) = renamed.iter().find(|(from, _)| from == d) {
                d.clone_from(to);
            }
        }
        outbox_rows.push((k.to_vec(), layout::encode(&e)));
    }
    let new_check = new.seal(KEY_CHECK_SLOT, KEY_CHECK_TEXT);
    // The audit head's MAC is keyed from the master key: made again under the new one.
    let new_head = match meta.get(layout::META_AUDIT_HEAD)? {
        Some(raw) => {
            let mut head: crate::domain::audit::AuditHead = layout::decode("audit head", &raw)?;
            if head.mac != old.audit_mac(head.seq, &head.hash) {
                return Err(StoreError::Write(
                    "the audit chain's head does not verify under the current key; run `mcp-onboard audit verify` before rotating".into(),
                ));
            }
            head.mac = new.audit_mac(head.seq, &head.hash);
            Some(layout::encode(&head))
        }
        None => None,
    };

    let target = match (key, new_key_file) {
        (KeySource::File(path), Some(_)) => {
            return Err(StoreError::Write(format!(
                "the key comes from the key file {}: it is replaced in place; --new-key-file is for a key given in MCP_ONBOARD_KEY",
                path.display()
            )));
        }
        (_, Some(f)) => {
            write_key(f, &new_key, false)?;
            f.to_owned()
        }
        (KeySource::File(path), None) => {
            write_key(&pending_key_file(path), &new_key, true)?;
            path.clone()
        }
        (KeySource::Env(_), None) => {
            return Err(StoreError::Write(
                "the key comes from MCP_ONBOARD_KEY: give --new-key-file FILE for the new key (then set MCP_ONBOARD_KEY to it)".into(),
            ));
        }
    };
    let res: Result<(), sled::transaction::TransactionError<()>> = (&meta, &keys, &flows, &outbox)
        .transaction(|(m, k, f, o)| {
            for (key, e) in &outbox_rows {
                o.insert(key.as_slice(), e.as_slice())?;
            }
            m.insert(META_KEY_CHECK, new_check.as_slice())?;
            if let Some(h) = &new_head {
                m.insert(layout::META_AUDIT_HEAD, h.as_slice())?;
            }
            for (slug, sealed) in &key_rows {
                k.insert(slug.as_slice(), sealed.as_slice())?;
            }
            for (hash, stored) in &flow_rows {
                f.insert(hash.as_slice(), stored.as_slice())?;
            }
            Ok(())
        });
    res.map_err(|e| StoreError::Write(format!("re-sealing under the new key: {e:?}")))?;
    db.flush()?;
    if let (KeySource::File(path), None) = (key, new_key_file) {
        let pending = pending_key_file(path);
        std::fs::rename(&pending, path)
            .and_then(|()| sync_dir(path))
            .map_err(|e| StoreError::Write(format!("putting the new key in place: {e}")))?;
    }
    Ok(Rotated {
        tenant_keys: key_rows.len(),
        flows: flow_rows.len(),
        key_file: target,
    })
}

/// On open, when the key file does not open the key check: a rotation that stopped after
/// re-sealing left the new key in `<key file>.new`; if that one opens it, put it in place.
pub(super) fn finish(key: &KeySource, check: &[u8]) -> Option<Cipher> {
    let KeySource::File(path) = key else {
        return None;
    };
    let pending = pending_key_file(path);
    if !pending.exists() {
        return None;
    }
    let cipher = Cipher::load(&KeySource::File(pending.clone()), false).ok()?;
    cipher.open(KEY_CHECK_SLOT, check).ok()?;
    std::fs::rename(&pending, path).ok()?;
    let _ = sync_dir(path);
    tracing::warn!(key = %path.display(), "finished an interrupted key rotation");
    Some(cipher)
}
