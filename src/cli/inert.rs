//! Replies made inert before they are printed for a person: every string a reply carries
//! (names, reasons, timeline lines, audit entries, the user a client reported...) has its
//! control, bidi and separator characters written out ([`crate::text::escape`]), so text
//! stored by any release, or reported by any client, cannot steer the operator's
//! terminal. The one place this happens for the CLI's text output; `--json` prints the
//! reply as it is (serde escapes control characters itself).

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `v` with every string in it (map keys too) escaped for a terminal.
pub fn inert<T: Serialize + DeserializeOwned>(v: &T) -> Result<T> {
    let mut value = serde_json::to_value(v).context("reading the reply to print")?;
    escape_all(&mut value);
    serde_json::from_value(value)
        .context("the reply could not be made safe to print; `--json` shows it as it is")
}

fn escape_all(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(e) = crate::text::escape(s) {
                *s = e;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(escape_all),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut item) in old {
                escape_all(&mut item);
                map.insert(crate::text::escape(&k).into_owned(), item);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::{AuditRecord, Claimed, Operator};
    use crate::domain::model::TenantStatus;
    use crate::engine::Reply;
    use crate::engine::api::TenantSummary;
    use crate::text::is_unsafe;

    const EVIL: &str = "x\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\nfake\u{202e}\u{2028}\u{9b}";

    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|i| strings(i, out)),
            Value::Object(m) => m.iter().for_each(|(k, i)| {
                out.push(k.clone());
                strings(i, out)
            }),
            _ => {}
        }
    }

    #[test]
    fn every_string_of_a_reply_comes_out_escaped_and_the_rest_unchanged() {
        let summary = TenantSummary {
            status: TenantStatus::Failed,
            reason: Some(EVIL.into()),
            google_email: Some(EVIL.into()),
            updated_ms: 42,
            ..crate::engine::api::fixtures::summary("acme", EVIL)
        };
        let record: AuditRecord = serde_json::from_value(serde_json::json!({
            "seq": 7, "at": 1, "kind": "command", "what": "remove_tenant",
            "tenant": EVIL, "detail": EVIL, "prev": "", "hash": "",
            "actor": Operator { uid: Some(1000), claimed: Claimed { user: Some(EVIL.into()), ..Default::default() }, ..Default::default() },
        }))
        .expect("an audit record");
        for reply in [
            Reply::Tenants {
                tenants: vec![summary],
                total: 1,
            },
            Reply::Audit {
                records: vec![record],
            },
        ] {
            let safe = inert(&reply).unwrap();
            let mut all = Vec::new();
            strings(&serde_json::to_value(&safe).unwrap(), &mut all);
            assert!(all.iter().any(|s| s.contains("\\u{1b}]52")), "{all:?}");
            for s in &all {
                assert!(!s.chars().any(is_unsafe), "{s:?}");
            }
            if let Reply::Tenants { tenants, total } = &safe {
                assert_eq!((tenants[0].updated_ms, *total), (42, 1));
                assert_eq!(tenants[0].status, TenantStatus::Failed);
                let table = super::super::output::tenant_table(tenants, 42);
                assert!(!table.chars().any(|c| is_unsafe(c) && c != '\n'), "{table}");
            }
        }
    }
}
