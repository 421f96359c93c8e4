//! What the database and its backups hold cannot be rewritten without the key: a backup is
//! authenticated whole (an altered one, or an old unauthenticated one, is not restored
//! unless the operator says so), the audit chain starts at a genesis entry and can be
//! anchored outside the box (`audit head`, `audit verify --expect`); a chain emptied or
//! without its genesis fails its check on either store backend. (Webhook receivers
//! recorded by an identifier, never by their URL: `cli_webhook_receivers`.)

mod support_proc;

use std::path::Path;

use rstest::rstest;
use serde_json::Value;
use support_proc::pg::Backend;
use support_proc::*;

/// A tree's rows: key and value.
type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// A backup file taken apart: its first line, schema version, and trees.
#[derive(Clone)]
struct Backup {
    magic: Vec<u8>,
    schema: u32,
    trees: Vec<(String, Rows)>,
}

fn u32_at(b: &[u8], at: &mut usize) -> u32 {
    let v = u32::from_be_bytes(b[*at..*at + 4].try_into().unwrap());
    *at += 4;
    v
}

fn bytes_at(b: &[u8], at: &mut usize) -> Vec<u8> {
    let n = u32_at(b, at) as usize;
    let v = b[*at..*at + n].to_vec();
    *at += n;
    v
}

/// Read a backup as the README describes it (whatever its trailer: 32 bytes).
fn parse(bytes: &[u8]) -> Backup {
    let nl = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    let body = &bytes[..bytes.len() - 32];
    let mut at = nl;
    let schema = u32_at(body, &mut at);
    let mut trees = Vec::new();
    while body[at] != 0xff {
        let name = String::from_utf8(bytes_at(body, &mut at)).unwrap();
        let mut rows = Vec::new();
        loop {
            let tag = body[at];
            at += 1;
            if tag == 0 {
                break;
            }
            let k = bytes_at(body, &mut at);
            let v = bytes_at(body, &mut at);
            rows.push((k, v));
        }
        trees.push((name, rows));
    }
    Backup {
        magic: bytes[..nl].to_vec(),
        schema,
        trees,
    }
}

/// Write a backup back the way someone without the key can: its trees, then the SHA-256
/// of everything before it.
fn forge(b: &Backup, magic: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut out = magic.to_vec();
    out.extend_from_slice(&b.schema.to_be_bytes());
    for (name, rows) in &b.trees {
        out.extend_from_slice(&(name.len() as u32).to_be_bytes());
        out.extend_from_slice(name.as_bytes());
        for (k, v) in rows {
            out.push(1);
            out.extend_from_slice(&(k.len() as u32).to_be_bytes());
            out.extend_from_slice(k);
            out.extend_from_slice(&(v.len() as u32).to_be_bytes());
            out.extend_from_slice(v);
        }
        out.push(0);
    }
    out.push(0xff);
    let digest = sha2::Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

fn sha256(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b).to_vec()
}

impl Backup {
    fn tree(&mut self, name: &str) -> &mut Rows {
        &mut self.trees.iter_mut().find(|(n, _)| n == name).unwrap().1
    }
}

fn tenant_count(w: &World) -> usize {
    w.json(&["tenant", "list"]).as_array().map_or(0, Vec::len)
}

#[test]
fn a_backup_rewritten_without_the_key_is_refused_and_restores_nothing() {
    let mut w = real_world();
    w.ok(&["tenant", "add", "acme"]);
    w.ok(&["tenant", "add", "beta"]);
    w.json(&["link", "acme"]);
    let file = w.tmp.path().join("full.backup");
    w.ok(&["backup", file.to_str().unwrap()]);
    let b = parse(&std::fs::read(&file).unwrap());
    assert!(!b.clone().tree("audit").is_empty());

    // Every audit entry and the head removed, the checksum made again.
    let mut stripped = b.clone();
    stripped.tree("audit").clear();
    stripped.tree("meta").retain(|(k, _)| k != b"audit_head");
    // A consent link planted: a copy of a real one under a code of the attacker's.
    let mut planted = b.clone();
    let links = planted.tree("links");
    let record = links[0].1.clone();
    let code_hash = sha256(b"AAAAAAAAAAAAAAAAAAAAAA");
    links.push((code_hash, record));
    links.sort();
    let cases = [
        ("stripped", forge(&stripped, &b.magic), "does not verify"),
        ("planted", forge(&planted, &b.magic), "does not verify"),
        (
            "stripped and relabelled as the old format",
            forge(&stripped, b"mcp-onboard backup 1\n"),
            "--accept-unauthenticated",
        ),
    ];
    for (i, (what, bytes, says)) in cases.iter().enumerate() {
        let f = w.tmp.path().join(format!("forged-{i}.backup"));
        std::fs::write(&f, bytes).unwrap();
        let dir = w.tmp.path().join(format!("restored-{i}"));
        w.other_data_dir = Some(dir.clone());
        let out = w.run(&["restore", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", out.stdout);
        assert!(
            out.stderr.contains(says) && out.stderr.contains("nothing was restored"),
            "{what}: {}",
            out.stderr
        );
        assert!(!dir.join("db").exists(), "{what}: no database was made");
    }

    // A backup of this release relabelled as the old format: no genuine one of that format
    // has schema 4 or later, so it is refused even when the operator accepts the old format.
    let f = w.tmp.path().join("relabelled.backup");
    std::fs::write(&f, forge(&stripped, b"mcp-onboard backup 1\n")).unwrap();
    let dir = w.tmp.path().join("restored-relabelled");
    w.other_data_dir = Some(dir.clone());
    let out = w.run(&["restore", f.to_str().unwrap(), "--accept-unauthenticated"]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stderr.contains("schema version 7") && out.stderr.contains("nothing was restored"),
        "{}",
        out.stderr
    );
    assert!(!dir.join("db").exists(), "no database was made");

    // The backup as written restores, and its chain holds.
    w.other_data_dir = Some(w.tmp.path().join("restored"));
    w.ok(&["restore", file.to_str().unwrap()]);
    assert_eq!(tenant_count(&w), 2);
    assert!(w.ok(&["audit", "verify"]).contains("the audit chain holds"));
}

fn fixture_v3() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v3")
}

#[test]
fn an_old_format_backup_is_restored_only_when_the_operator_accepts_it_unauthenticated() {
    let mut w = World::new();
    w.demo = false;
    let key = std::fs::read_to_string(fixture_v3().join("key")).unwrap();
    w.env
        .push(("MCP_ONBOARD_KEY".into(), key.trim().to_owned()));
    let file = fixture_v3().join("backup-v1");
    let out = w.run(&["restore", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stderr.contains("--accept-unauthenticated")
            && out.stderr.contains("nothing was restored"),
        "{}",
        out.stderr
    );
    assert!(!w.data_dir().join("db").exists());

    let out = w.run(&[
        "restore",
        file.to_str().unwrap(),
        "--accept-unauthenticated",
    ]);
    assert!(out.ok(), "{}", out.stderr);
    assert!(out.stderr.contains("unauthenticated"), "{}", out.stderr);
    let slugs: Vec<String> = w
        .json(&["tenant", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(slugs, ["acme", "beta", "gamma"]);
    // Brought up to date on open: its chain now starts at a genesis entry, and holds.
    assert!(w.ok(&["audit", "verify"]).contains("the audit chain holds"));
    let first: Value =
        serde_json::from_str(w.ok(&["--json", "audit"]).lines().next().expect("an entry")).unwrap();
    assert_eq!(first["seq"], 0);
    assert_eq!(first["kind"], "genesis");
}

#[test]
fn an_old_backup_emptied_but_for_its_head_restores_to_a_chain_that_does_not_verify() {
    let mut w = World::new();
    w.demo = false;
    let key = std::fs::read_to_string(fixture_v3().join("key")).unwrap();
    w.env
        .push(("MCP_ONBOARD_KEY".into(), key.trim().to_owned()));
    let mut b = parse(&std::fs::read(fixture_v3().join("backup-v1")).unwrap());
    assert!(!b.tree("audit").is_empty());
    assert!(b.tree("meta").iter().any(|(k, _)| k == b"audit_head"));
    b.tree("audit").clear();
    let file = w.tmp.path().join("emptied.backup");
    std::fs::write(&file, forge(&b, b"mcp-onboard backup 1\n")).unwrap();
    w.ok(&[
        "restore",
        file.to_str().unwrap(),
        "--accept-unauthenticated",
    ]);
    // The upgrade on open writes no genesis over a head whose entries are gone.
    let out = w.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stdout.contains("broken at entry 0") && out.stdout.contains("were removed"),
        "{}",
        out.stdout
    );
}

/// Change the stopped database's audit chain directly, as someone with write access to the
/// data but not the key can: every entry and the head gone (`emptied`), or the genesis
/// entry alone (`genesis removed`).
async fn tamper(w: &World, how: &str) {
    let emptied = how == "emptied";
    if let Some(pg) = &w.pg {
        pg.sql(if emptied {
            "DELETE FROM audit; DELETE FROM meta WHERE key = 'audit_head'"
        } else {
            "DELETE FROM audit WHERE seq = 0"
        })
        .await;
        return;
    }
    let db = w.open_db_directly();
    let audit = db.open_tree("audit").unwrap();
    if emptied {
        audit.clear().unwrap();
        db.open_tree("meta").unwrap().remove("audit_head").unwrap();
    } else {
        audit.remove(0u64.to_be_bytes()).unwrap();
    }
    db.flush().unwrap();
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_audit_chain_emptied_or_without_its_genesis_does_not_verify_over_tenants(
    #[case] backend: Backend,
) {
    for how in ["emptied", "genesis removed"] {
        let Some(w) = real_world().on(backend) else {
            return;
        };
        w.ok(&["tenant", "add", "acme"]);
        w.ok(&["tenant", "add", "beta"]);
        assert!(w.ok(&["audit", "verify"]).contains("the audit chain holds"));
        tamper(&w, how).await;
        let out = w.run(&["audit", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{how}: {}", out.stdout);
        assert!(
            out.stdout.contains("broken at entry 0") && out.stdout.contains("genesis"),
            "{how}: {}",
            out.stdout
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn an_anchored_head_shows_a_chain_rolled_back_to_an_older_copy() {
    let w = real_world();
    w.ok(&["tenant", "add", "acme"]);
    let older = w.tmp.path().join("older-db");
    copy_dir(&w.data_dir().join("db"), &older);
    w.ok(&["tenant", "add", "beta"]);
    let head = w.json(&["audit", "head"]);
    let seq = head["seq"].as_u64().expect("seq");
    let hash = head["hash"].as_str().expect("hash").to_owned();
    assert_eq!(hash.len(), 64, "{head}");
    let anchor = format!("{seq}:{hash}");
    assert!(w.ok(&["audit", "head"]).contains(&anchor));
    let out = w.ok(&["audit", "verify", "--expect", &anchor]);
    assert!(out.contains("the audit chain holds"), "{out}");
    // The chain grows: it still extends the anchor.
    w.ok(&["tenant", "add", "gamma"]);
    w.ok(&["audit", "verify", "--expect", &anchor]);

    // Rolled back to the older copy: its head's MAC is genuine, so only the anchor tells.
    std::fs::remove_dir_all(w.data_dir().join("db")).unwrap();
    copy_dir(&older, &w.data_dir().join("db"));
    assert!(w.ok(&["audit", "verify"]).contains("the audit chain holds"));
    let out = w.run(&["audit", "verify", "--expect", &anchor]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("entry {seq}")),
        "{}",
        out.stdout
    );
    // And grown again past the anchor's number: another entry has it, with another hash.
    w.ok(&["tenant", "add", "delta"]);
    w.ok(&["tenant", "add", "epsilon"]);
    let out = w.run(&["audit", "verify", "--expect", &anchor]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("entry {seq}")) && out.stdout.contains("anchor"),
        "{}",
        out.stdout
    );
    // An anchor that is not SEQ:HASH is refused as a usage error.
    let out = w.run(&["audit", "verify", "--expect", "12"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
}

/// The owner's log files, concatenated.
fn logs(w: &World) -> String {
    String::from_utf8_lossy(&all_bytes(&w.data_dir().join("logs"))).into_owned()
}

#[test]
fn the_owner_logs_the_audit_head_when_it_starts() {
    let mut w = real_world();
    w.ok(&["tenant", "add", "acme"]);
    let head = w.json(&["audit", "head"]);
    let anchor = format!("{}:{}", head["seq"], head["hash"].as_str().unwrap());
    let _serve = w.serve();
    let start = std::time::Instant::now();
    while !logs(&w).contains(&anchor) {
        assert!(
            start.elapsed() < STARTUP,
            "no head {anchor} in the log: {}",
            logs(&w)
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(logs(&w).contains("audit chain head"));
}
