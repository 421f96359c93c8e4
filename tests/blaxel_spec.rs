//! Request bodies our client sends, and the sandbox's answers, validated against the real
//! Blaxel spec (`../shared/blaxel/controlplane.yml`, OpenAPI 3.0.3), with a small validator
//! of the OpenAPI subset on those paths. It fails loudly on a schema keyword it does not
//! implement, so a spec change cannot silently weaken the check.

use std::path::PathBuf;
use std::time::Duration;

use mcp_onboard::blaxel::{BlaxelClient, ConnectionRequest, FunctionRequest, GoogleOAuthSecret};
use mcp_onboard::sandbox::blaxel::{BlaxelSandboxConfig, spawn};
use secrecy::SecretString;
use serde_json::{Value, json};

/// Fields outside the spec that we send on purpose: `spec.runtime.type` is what the
/// official CLI, docs and MCP server send for MCP functions; the spec dropped it.
const ALLOWED_EXTRA: [&str; 1] = ["spec.runtime.type"];
const KNOWN_KEYWORDS: [&str; 21] = [
    "type",
    "description",
    "example",
    "readOnly",
    "writeOnly",
    "properties",
    "required",
    "items",
    "enum",
    "$ref",
    "allOf",
    "oneOf",
    "anyOf",
    "nullable",
    "additionalProperties",
    "maxLength",
    "minLength",
    "minimum",
    "maximum",
    "format",
    "default",
];

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// readOnly properties must not be sent.
    Request,
    Response,
}

struct Spec {
    root: Value,
}

impl Spec {
    fn load() -> Spec {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/blaxel/controlplane.yml");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the Blaxel spec must sit beside the crate at {}: {e}",
                path.display()
            )
        });
        Spec {
            root: serde_norway::from_str(&text).expect("spec is valid YAML"),
        }
    }

    fn schema(&self, name: &str) -> &Value {
        self.root
            .pointer(&format!("/components/schemas/{name}"))
            .unwrap_or_else(|| panic!("no schema {name}"))
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("external $ref {reference}"));
                self.resolve(
                    self.root
                        .pointer(pointer)
                        .unwrap_or_else(|| panic!("dangling $ref {reference}")),
                )
            }
            None => schema,
        }
    }

    /// Validates `value` against the named schema, strictly: properties the schema does
    /// not declare are errors unless listed in [`ALLOWED_EXTRA`].
    fn check(&self, schema: &str, value: &Value, mode: Mode) -> Vec<String> {
        let mut errors = Vec::new();
        self.validate(self.schema(schema), value, "", mode, &mut errors);
        errors
    }

    fn validate(
        &self,
        schema: &Value,
        value: &Value,
        path: &str,
        mode: Mode,
        errors: &mut Vec<String>,
    ) {
        let schema = self.resolve(schema);
        let Some(keywords) = schema.as_object() else {
            return errors.push(format!("{path}: schema is not an object"));
        };
        for key in keywords.keys() {
            if !KNOWN_KEYWORDS.contains(&key.as_str()) && !key.starts_with("x-") {
                errors.push(format!(
                    "{path}: schema keyword {key:?} is not implemented by this validator"
                ));
            }
        }
        if value.is_null() {
            if schema.get("nullable") != Some(&json!(true)) {
                errors.push(format!("{path}: null is not allowed"));
            }
            return;
        }
        if mode == Mode::Request && path_is_read_only(schema) && !path.is_empty() {
            errors.push(format!("{path}: readOnly, must not be sent"));
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.validate_shallow(part, value, path, mode, errors);
        }
        if let Some(any) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
        {
            let passing = any.iter().filter(|s| {
                let mut e = Vec::new();
                self.validate(s, value, path, mode, &mut e);
                e.is_empty()
            });
            let count = passing.count();
            let ok = if schema.get("oneOf").is_some() {
                count == 1
            } else {
                count >= 1
            };
            if !ok {
                errors.push(format!("{path}: matches {count} of the alternatives"));
            }
        }
        self.validate_shallow(schema, value, path, mode, errors);
        if value.is_object()
            && !schema
                .get("additionalProperties")
                .is_some_and(|a| a != &json!(false))
        {
            let declared = self.declared_properties(schema);
            let object = value.as_object().into_iter().flatten();
            for key in object.map(|(k, _)| k).filter(|k| !declared.contains(k)) {
                let field = join(path, key);
                if !is_allowed_extra(&field) {
                    errors.push(format!("{field}: not declared by the spec"));
                }
            }
        }
    }

    /// Checks the keywords of one schema without the unknown-property rule (which needs
    /// the union of the properties of all `allOf` parts).
    fn validate_shallow(
        &self,
        schema: &Value,
        value: &Value,
        path: &str,
        mode: Mode,
        errors: &mut Vec<String>,
    ) {
        let schema = self.resolve(schema);
        if let Some(kind) = schema.get("type").and_then(Value::as_str) {
            let ok = match kind {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                other => return errors.push(format!("{path}: unknown type {other}")),
            };
            if !ok {
                return errors.push(format!("{path}: expected {kind}, got {value}"));
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                errors.push(format!("{path}: {value} is not one of {allowed:?}"));
            }
        }
        if let Some(text) = value.as_str() {
            let len = text.chars().count() as u64;
            if schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|max| len > max)
            {
                errors.push(format!("{path}: longer than maxLength"));
            }
            if schema
                .get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|min| len < min)
            {
                errors.push(format!("{path}: shorter than minLength"));
            }
        }
        if let Some(n) = value.as_f64() {
            if schema
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| n < m)
                || schema
                    .get("maximum")
                    .and_then(Value::as_f64)
                    .is_some_and(|m| n > m)
            {
                errors.push(format!("{path}: {n} out of range"));
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, item) in array.iter().enumerate() {
                self.validate(items, item, &format!("{path}[{i}]"), mode, errors);
            }
        }
        let Some(object) = value.as_object() else {
            return;
        };
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = required.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                errors.push(format!("{}: required", join(path, key)));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, child) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(property) => self.validate(property, child, &join(path, key), mode, errors),
                None => {
                    if let Some(extra) =
                        schema.get("additionalProperties").filter(|a| a.is_object())
                    {
                        self.validate(extra, child, &join(path, key), mode, errors);
                    }
                }
            }
        }
    }

    fn declared_properties(&self, schema: &Value) -> Vec<String> {
        let schema = self.resolve(schema);
        let mut names: Vec<String> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            names.extend(self.declared_properties(part));
        }
        names
    }
}

/// `data[0].spec.runtime.type` matches the allowed `spec.runtime.type`.
fn is_allowed_extra(field: &str) -> bool {
    let mut plain = String::new();
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if !in_index => plain.push(c),
            _ => {}
        }
    }
    ALLOWED_EXTRA
        .iter()
        .any(|allowed| plain == *allowed || plain.ends_with(&format!(".{allowed}")))
}

fn path_is_read_only(schema: &Value) -> bool {
    schema.get("readOnly") == Some(&json!(true))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Rules the spec states only in prose (`Metadata.name`, `Metadata.displayName`),
/// checked here independently of the crate's own implementation.
fn prose_rules(body: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let name = body
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let bytes = name.as_bytes();
    let charset = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if name.is_empty()
        || name.len() > 49
        || !charset
        || name.starts_with('-')
        || name.ends_with('-')
    {
        errors.push(format!(
            "metadata.name {name:?}: must be lowercase alphanumeric with hyphens, max 49"
        ));
    }
    let display = body
        .pointer("/metadata/displayName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if display.chars().count() > 63 {
        errors.push("metadata.displayName: max 63 characters".into());
    }
    errors
}

fn full_check(spec: &Spec, schema: &str, body: &Value) -> Vec<String> {
    let mut errors = spec.check(schema, body, Mode::Request);
    errors.extend(prose_rules(body));
    errors
}

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
