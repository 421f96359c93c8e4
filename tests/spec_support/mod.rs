//! The Blaxel spec (`tests/fixtures/blaxel/controlplane.yml`, vendored, OpenAPI 3.0.3) and a small
//! validator of the OpenAPI subset on the paths we use, shared by the tests that check what
//! we send. It fails loudly on a schema keyword it does not implement.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::{Value, json};

/// Fields outside the spec that we send on purpose: `spec.runtime.type` is what the
/// official CLI, docs and MCP server send for MCP functions; the spec dropped it.
pub const ALLOWED_EXTRA: [&str; 1] = ["spec.runtime.type"];
pub const KNOWN_KEYWORDS: [&str; 21] = [
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
pub enum Mode {
    /// readOnly properties must not be sent.
    Request,
    Response,
}

/// The vendored copy of the spec, inside the crate (see `SOURCE.md` beside it).
pub fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/blaxel/controlplane.yml")
}

pub struct Spec {
    root: Value,
}

impl Spec {
    pub fn load() -> Spec {
        let text = std::fs::read_to_string(spec_path()).unwrap_or_else(|e| {
            panic!(
                "the vendored Blaxel spec is missing at {}: {e}",
                spec_path().display()
            )
        });
        Spec {
            root: serde_norway::from_str(&text).expect("spec is valid YAML"),
        }
    }

    pub fn schema(&self, name: &str) -> &Value {
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
    pub fn check(&self, schema: &str, value: &Value, mode: Mode) -> Vec<String> {
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
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            errors.push(format!("{path}: {value} is not one of {allowed:?}"));
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
        if let Some(n) = value.as_f64()
            && (schema
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| n < m)
                || schema
                    .get("maximum")
                    .and_then(Value::as_f64)
                    .is_some_and(|m| n > m))
        {
            errors.push(format!("{path}: {n} out of range"));
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
pub fn is_allowed_extra(field: &str) -> bool {
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

pub fn path_is_read_only(schema: &Value) -> bool {
    schema.get("readOnly") == Some(&json!(true))
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Rules the spec states only in prose (`Metadata.name`, `Metadata.displayName`),
/// checked here independently of the crate's own implementation.
pub fn prose_rules(body: &Value) -> Vec<String> {
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

pub fn full_check(spec: &Spec, schema: &str, body: &Value) -> Vec<String> {
    let mut errors = spec.check(schema, body, Mode::Request);
    errors.extend(prose_rules(body));
    errors
}

/// Every body the provisioner sent validates against the real Blaxel spec.
pub fn assert_bodies_match_the_spec(blaxel: &mcp_onboard::sandbox::blaxel::BlaxelSandboxHandle) {
    let spec = Spec::load();
    let mut checked = 0;
    for req in blaxel.request_log() {
        let schema = match (
            req.method.as_str(),
            req.path.contains("/integrations/connections"),
        ) {
            ("POST" | "PUT", true) => "IntegrationConnection",
            ("POST" | "PUT", false) => "Function",
            _ => continue,
        };
        let body = req.body.clone().expect("a write has a body");
        let errors = full_check(&spec, schema, &body);
        assert!(errors.is_empty(), "{} {}: {errors:?}", req.method, req.path);
        checked += 1;
    }
    assert!(checked >= 2, "bodies were captured");
}
