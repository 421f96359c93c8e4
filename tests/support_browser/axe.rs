//! axe-core, the accessibility checker, as the browser tests run it: the release vendored
//! under `tests/fixtures/axe-core` (its SHA-256 checked against its `SOURCE.md`), injected
//! with WebDriver's execute-script (which the page's CSP does not govern).

use std::path::PathBuf;

use super::Browser;

/// The axe-core release the check is pinned to (vendored under `tests/fixtures/axe-core`).
pub const AXE_VERSION: &str = "4.10.3";

/// axe-core's source: the copy vendored under `tests/fixtures/axe-core`, checked against the
/// SHA-256 its `SOURCE.md` records.
pub fn axe_source() -> String {
    use sha2::{Digest, Sha256};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/axe-core");
    let source = std::fs::read_to_string(dir.join("axe.min.js")).expect("the vendored axe-core");
    let note = std::fs::read_to_string(dir.join("SOURCE.md")).expect("axe-core's SOURCE.md");
    let recorded = note
        .lines()
        .find(|l| l.starts_with("| SHA-256 |"))
        .and_then(|l| l.split('`').nth(1))
        .expect("SOURCE.md records the SHA-256");
    let actual: String = Sha256::digest(source.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        actual, recorded,
        "axe.min.js differs from the copy SOURCE.md describes"
    );
    assert!(
        note.contains(&format!("| Version | {AXE_VERSION} |")),
        "{note}"
    );
    source
}

/// Give the page axe-core (once per page load) and run it: the violations, each as
/// `(id, impact, help, first targets)`.
pub async fn axe(b: &Browser, source: &str) -> Vec<(String, String, String, String)> {
    let loaded = b.run_script("return typeof window.axe;").await;
    if loaded != "object" {
        b.run_script(source).await;
        let version = b
            .run_script("return window.axe && window.axe.version;")
            .await;
        assert_eq!(version, AXE_VERSION, "the pinned axe-core");
    }
    let found = b
        .run_async_script(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => [v.id, v.impact || '', v.help,
                 v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')])))
               .catch(e => done([['axe-error', 'critical', String(e), '']]));",
        )
        .await;
    found
        .as_array()
        .expect("a list of violations")
        .iter()
        .map(|v| {
            let s = |i: usize| v[i].as_str().unwrap_or_default().to_owned();
            (s(0), s(1), s(2), s(3))
        })
        .collect()
}
