//! Decisions on existing Blaxel objects: does a function need a PUT, and what is its MCP URL.
//!
//! Invariant: only what we own is compared (bound connections, runtime type, our labels,
//! enabled), so fields Blaxel fills in (image, generation, scale, timestamps) never cause a
//! needless PUT, which would trigger a redeployment.

use std::collections::BTreeSet;

use super::requests::FunctionRequest;
use super::types::Function;

/// True if `existing` differs from `wanted` in what we own and should be PUT:
/// - the set of bound integration connections differs;
/// - the runtime type differs (an absent type is not a difference: the API may not echo it);
/// - one of our labels is missing or has another value (other labels are left alone);
/// - the function was disabled (`enabled: false`).
pub fn function_needs_update(existing: &Function, wanted: &FunctionRequest) -> bool {
    let spec = &existing.spec;
    let have: BTreeSet<&str> = spec
        .integration_connections
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let want: BTreeSet<&str> = wanted
        .spec
        .integration_connections
        .iter()
        .map(String::as_str)
        .collect();
    if have != want {
        return true;
    }
    let existing_type = spec
        .runtime
        .as_ref()
        .and_then(|r| r.runtime_type.as_deref());
    if existing_type.is_some_and(|t| t != wanted.spec.runtime.runtime_type) {
        return true;
    }
    let labels = existing.metadata.labels.as_ref();
    let labels_differ = wanted
        .metadata
        .labels
        .iter()
        .any(|(k, v)| labels.and_then(|l| l.get(k)) != Some(v));
    labels_differ || (spec.enabled == Some(false) && wanted.spec.enabled)
}

/// The MCP endpoint of a function: `metadata.url` + `/mcp`, without a double slash.
/// `None` while Blaxel has not assigned a URL.
pub fn mcp_url(function: &Function) -> Option<String> {
    let base = function.metadata.url.as_deref()?.trim();
    let base = base.trim_end_matches('/');
    (!base.is_empty()).then(|| crate::text::clean(&format!("{base}/mcp")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_in_blaxels_url_and_statuses_are_cleaned_on_the_way_in() {
        let f: Function = serde_json::from_value(json!({
            "metadata": {"name": "f", "url": "https://run.example/\u{1b}]52;c;ZXZpbA==\u{7}x"},
            "status": "WEIRD\u{1b}[2J",
        }))
        .unwrap();
        let url = mcp_url(&f).unwrap();
        assert!(!url.chars().any(char::is_control), "{url:?}");
        assert!(url.ends_with("/mcp"));
        let status = f.status.unwrap();
        assert!(!status.as_str().chars().any(char::is_control), "{status:?}");
        assert!(status.as_str().starts_with("WEIRD"));
    }

    fn existing(value: serde_json::Value) -> Function {
        serde_json::from_value(value).unwrap()
    }

    fn wanted() -> FunctionRequest {
        FunctionRequest::for_tenant("gmail", "acme", "Acme").unwrap()
    }

    fn same() -> serde_json::Value {
        json!({
            "metadata": {"name": "gmail-mcp-acme", "displayName": "changed by hand",
                         "labels": {"tenant": "acme", "managed-by": "mcp-onboard", "team": "x"}},
            "spec": {"enabled": true, "integrationConnections": ["gmail-acme"],
                     "runtime": {"generation": "mk3", "memory": 2048}},
            "status": "DEPLOYED"
        })
    }

    #[test]
    fn server_filled_fields_do_not_cause_an_update() {
        assert!(!function_needs_update(&existing(same()), &wanted()));
        let mut with_type = same();
        with_type["spec"]["runtime"]["type"] = json!("mcp");
        assert!(!function_needs_update(&existing(with_type), &wanted()));
    }

    #[test]
    fn owned_differences_cause_an_update() {
        let cases = [
            ("/spec/integrationConnections", json!(["gmail-other"])),
            ("/spec/integrationConnections", json!([])),
            ("/spec/runtime/type", json!("agent")),
            ("/metadata/labels/tenant", json!("other")),
            ("/spec/enabled", json!(false)),
        ];
        for (pointer, value) in cases {
            let mut body = same();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            body.pointer_mut(parent).unwrap()[key] = value.clone();
            assert!(
                function_needs_update(&existing(body), &wanted()),
                "{pointer} = {value}"
            );
        }
        let mut no_labels = same();
        no_labels["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("labels");
        assert!(function_needs_update(&existing(no_labels), &wanted()));
    }

    #[test]
    fn mcp_url_appends_once() {
        let f = |url: &str| existing(json!({"metadata": {"name": "f", "url": url}}));
        assert_eq!(
            mcp_url(&f("https://run.blaxel.ai/ws/functions/f")).as_deref(),
            Some("https://run.blaxel.ai/ws/functions/f/mcp")
        );
        assert_eq!(
            mcp_url(&f("https://run.blaxel.ai/ws/functions/f/")).as_deref(),
            Some("https://run.blaxel.ai/ws/functions/f/mcp")
        );
        assert_eq!(mcp_url(&f("")), None);
        assert_eq!(mcp_url(&existing(json!({"metadata": {"name": "f"}}))), None);
    }
}
