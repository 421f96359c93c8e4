//! Request bodies our client sends, and the sandbox's answers, validated against the real
//! Blaxel spec (`tests/fixtures/blaxel/controlplane.yml`, OpenAPI 3.0.3), with a small validator
//! of the OpenAPI subset on those paths. It fails loudly on a schema keyword it does not
//! implement, so a spec change cannot silently weaken the check.

mod spec_support;

use std::time::Duration;

use spec_support::{Mode, Spec, full_check};

use mcp_onboard::blaxel::{BlaxelClient, ConnectionRequest, FunctionRequest, GoogleOAuthSecret};
use mcp_onboard::sandbox::blaxel::{BlaxelSandboxConfig, spawn};
use secrecy::SecretString;
use serde_json::{Value, json};

fn secret() -> GoogleOAuthSecret {
    GoogleOAuthSecret {
        client_id: "cid.apps.googleusercontent.com".into(),
        client_secret: SecretString::from("GOCSPX-secret"),
        refresh_token: SecretString::from("1//refresh"),
    }
}

#[tokio::test]
async fn bodies_the_client_sends_and_the_sandbox_answers_validate_against_the_spec() {
    let spec = Spec::load();
    let config = BlaxelSandboxConfig {
        deploy_delay: Duration::ZERO,
        ..BlaxelSandboxConfig::default()
    };
    let key = SecretString::from("bl_spec");
    let sandbox = spawn(BlaxelSandboxConfig {
        api_key: key.clone(),
        ..config
    })
    .await
    .unwrap();
    let client = BlaxelClient::new(
        sandbox.base_url(),
        "demo".into(),
        key,
        reqwest::Client::new(),
    );
    let long_name = "a-tenant-with-a-display-name-longer-than-sixty-three-characters-for-sure";
    for slug in ["acme", "z9-long-slug-of-thirty-one-char", "trailing-"] {
        let connection =
            ConnectionRequest::for_tenant("gmail", slug, long_name, &secret()).unwrap();
        let function = FunctionRequest::for_tenant("gmail", slug, long_name).unwrap();
        client.create_connection(&connection).await.unwrap();
        client.update_connection(&connection).await.unwrap();
        client.create_function(&function).await.unwrap();
        client.update_function(&function).await.unwrap();
    }
    let drive = ConnectionRequest::for_tenant("google-drive", "acme", "Acme", &secret()).unwrap();
    client.create_connection(&drive).await.unwrap();

    let mut checked = 0;
    for request in sandbox.request_log() {
        let schema = match (
            request.method.as_str(),
            request.path.starts_with("/v0/functions"),
        ) {
            ("POST" | "PUT", true) => "Function",
            ("POST" | "PUT", false) => "IntegrationConnection",
            _ => continue,
        };
        let body = request.body.expect("writes have a body");
        let errors = full_check(&spec, schema, &body);
        assert!(
            errors.is_empty(),
            "{} {}: {errors:#?}\n{body:#}",
            request.method,
            request.path
        );
        checked += 1;
    }
    assert_eq!(checked, 13);

    let answers = [
        (
            "IntegrationConnection",
            serde_json::to_value(client.get_connection("gmail-acme").await.unwrap()).unwrap(),
        ),
        (
            "Function",
            serde_json::to_value(client.get_function("gmail-mcp-acme").await.unwrap()).unwrap(),
        ),
        (
            "FunctionList",
            raw_get(&sandbox.base_url(), "functions?limit=2").await,
        ),
        (
            "Error",
            raw_get(&sandbox.base_url(), "functions/nope").await,
        ),
    ];
    for (schema, answer) in answers {
        let errors = spec.check(schema, &answer, Mode::Response);
        assert!(errors.is_empty(), "{schema}: {errors:#?}\n{answer:#}");
    }
}

async fn raw_get(base: &url::Url, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}/{path}"))
        .bearer_auth("bl_spec")
        .header("X-Blaxel-Workspace", "demo")
        .header("Blaxel-Version", "2026-04-28")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[test]
fn the_validator_rejects_bad_bodies() {
    let spec = Spec::load();
    let good_connection = json!({
        "metadata": {"name": "gmail-acme", "labels": {"tenant": "acme"}},
        "spec": {"integration": "gmail", "secret": {"REFRESH_TOKEN": "x"}}
    });
    let good_function = json!({
        "metadata": {"name": "gmail-mcp-acme"},
        "spec": {"integrationConnections": ["gmail-acme"], "runtime": {"type": "mcp", "generation": "mk3"}}
    });
    assert_eq!(
        full_check(&spec, "IntegrationConnection", &good_connection),
        Vec::<String>::new()
    );
    assert_eq!(
        full_check(&spec, "Function", &good_function),
        Vec::<String>::new()
    );

    let bad: [(&str, &Value, &str, Value); 12] = [
        (
            "IntegrationConnection",
            &good_connection,
            "/metadata/name",
            Value::Null,
        ),
        (
            "IntegrationConnection",
            &good_connection,
            "/metadata/name",
            json!(42),
        ),
        (
            "IntegrationConnection",
            &good_connection,
            "/metadata/name",
            json!("Gmail_Acme"),
        ),
        (
            "IntegrationConnection",
            &good_connection,
            "/metadata/name",
            json!("a".repeat(50)),
        ),
        (
            "IntegrationConnection",
            &good_connection,
            "/metadata/labels/tenant",
            json!(1),
        ),
        (
            "IntegrationConnection",
            &good_connection,
            "/spec/secret/REFRESH_TOKEN",
            json!({"v": "x"}),
        ),
        (
            "IntegrationConnection",
            &good_connection,
            "/metadata/workspace",
            json!("ws"),
        ),
        (
            "Function",
            &good_function,
            "/spec/integrationConnections",
            json!("gmail-acme"),
        ),
        (
            "Function",
            &good_function,
            "/spec/runtime/generation",
            json!("mk9"),
        ),
        (
            "Function",
            &good_function,
            "/spec/integrationConnection",
            json!(["typo"]),
        ),
        ("Function", &good_function, "/spec/type", json!("mcp")),
        ("Function", &good_function, "/status", json!("DEPLOYED")),
    ];
    for (schema, good, pointer, value) in bad {
        let mut body = good.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        if value.is_null() {
            target.remove(key);
        } else {
            target.insert(key.to_owned(), value.clone());
        }
        let errors = full_check(&spec, schema, &body);
        assert!(
            !errors.is_empty(),
            "{schema} with {pointer} = {value} passed"
        );
    }
    let mut no_spec = good_function.clone();
    no_spec.as_object_mut().unwrap().remove("spec");
    assert_eq!(
        spec.check("Function", &no_spec, Mode::Request),
        ["spec: required"]
    );
}

#[test]
fn what_the_spec_requires_of_our_objects() {
    let spec = Spec::load();
    for schema in ["IntegrationConnection", "Function"] {
        assert_eq!(
            spec.schema(schema)["required"],
            json!(["metadata", "spec"]),
            "{schema}"
        );
    }
    let metadata = spec.schema("Metadata");
    let parts = metadata["allOf"].as_array().unwrap();
    assert!(parts.iter().any(|p| p["required"] == json!(["name"])));
    let runtime = spec.schema("FunctionRuntime");
    assert!(
        runtime["properties"].get("type").is_none(),
        "runtime.type came back into the spec: drop ALLOWED_EXTRA"
    );
}

/// The vendored spec is the one `SOURCE.md` names: an edited copy would make every check
/// above prove nothing about the real API.
#[test]
fn the_vendored_spec_is_unmodified() {
    use sha2::{Digest, Sha256};
    let path = spec_support::spec_path();
    let bytes = std::fs::read(&path).expect("the vendored spec");
    let actual: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let source = std::fs::read_to_string(path.with_file_name("SOURCE.md")).expect("SOURCE.md");
    let recorded = source
        .lines()
        .find(|l| l.starts_with("| SHA-256 |"))
        .and_then(|l| l.split('`').nth(1))
        .expect("SOURCE.md records the SHA-256");
    assert_eq!(
        actual, recorded,
        "controlplane.yml differs from the copy SOURCE.md describes"
    );
    assert!(
        source.contains(&format!("{} bytes", group_thousands(bytes.len()))),
        "SOURCE.md records another size than {} bytes",
        bytes.len()
    );
}

fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
