//! Blaxel workspace and API key resolution, filling gaps from the Blaxel CLI's config file.
//!
//! Invariant: values the caller passes (already merged from `BL_WORKSPACE`/`BL_API_KEY` and
//! our own config file) win, as in the official SDKs; `~/.blaxel/config.yaml` is read only
//! for what is missing (`context.workspace`, then
//! `workspaces[name == workspace].credentials.apiKey`). Errors say what is missing and
//! where to set it. The key is a `SecretString` from end to end.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

/// The workspace and key to call Blaxel with.
#[derive(Clone)]
pub struct BlaxelCredentials {
    pub workspace: String,
    pub api_key: SecretString,
    /// The workspace entry's `env` in the Blaxel config file (e.g. `dev`), if read from
    /// there; `None` means production.
    pub env: Option<String>,
    /// Where the key came from.
    pub key_source: KeySource,
}

impl fmt::Debug for BlaxelCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlaxelCredentials")
            .field("workspace", &self.workspace)
            .field("api_key", &"[REDACTED]")
            .field("env", &self.env)
            .field("key_source", &self.key_source)
            .finish()
    }
}

/// Origin of the API key, for the operator's status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Passed in by the caller (environment or our config file).
    Given,
    /// Read from the Blaxel CLI config file at this path.
    BlaxelConfig(PathBuf),
}

/// What is missing, and where to set it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error(
        "no Blaxel workspace: set BL_WORKSPACE, [blaxel].workspace in the config file, or run `bl login <workspace>` (no current workspace in {looked_in})"
    )]
    MissingWorkspace { looked_in: String },
    #[error(
        "no Blaxel API key for workspace {workspace}: set BL_API_KEY, [blaxel].api_key in the config file, or run `bl login {workspace}` ({detail})"
    )]
    MissingApiKey { workspace: String, detail: String },
    #[error("cannot read the Blaxel config file {}: {reason}", path.display())]
    ConfigFile { path: PathBuf, reason: String },
}

/// `~/.blaxel/config.yaml` as written by the `bl` CLI; unknown keys are ignored.
#[derive(Debug, Default, Deserialize)]
struct BlaxelConfigFile {
    #[serde(default)]
    context: Option<ConfigContext>,
    #[serde(default)]
    workspaces: Vec<ConfigWorkspace>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigContext {
    #[serde(default)]
    workspace: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ConfigWorkspace {
    name: String,
    #[serde(default)]
    credentials: Option<ConfigCredentials>,
    #[serde(default)]
    env: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigCredentials {
    #[serde(default, rename = "apiKey")]
    api_key: Option<SecretString>,
    #[serde(default)]
    access_token: Option<serde_norway::Value>,
    #[serde(default, alias = "clientCredentials")]
    client_credentials: Option<serde_norway::Value>,
}

/// Where the Blaxel CLI keeps its config: `~/.blaxel/config.yaml`.
pub fn default_blaxel_config_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".blaxel").join("config.yaml"))
}

/// Resolves the workspace and API key. `blaxel_config_path` of `None` means the default
/// location; the file is read only if something is missing, and a missing file is empty.
pub fn resolve_credentials(
    workspace: Option<String>,
    api_key: Option<SecretString>,
    blaxel_config_path: Option<&Path>,
) -> Result<BlaxelCredentials, CredentialsError> {
    let workspace = workspace.filter(|w| !w.trim().is_empty());
    if let (Some(workspace), Some(api_key)) = (&workspace, &api_key) {
        return Ok(BlaxelCredentials {
            workspace: workspace.clone(),
            api_key: api_key.clone(),
            env: None,
            key_source: KeySource::Given,
        });
    }
    let path = blaxel_config_path
        .map(Path::to_path_buf)
        .or_else(default_blaxel_config_path);
    let (file, looked_in) = match &path {
        Some(path) => (read_config(path)?, path.display().to_string()),
        None => (
            BlaxelConfigFile::default(),
            "the Blaxel config file (no home directory)".to_owned(),
        ),
    };
    let workspace = workspace
        .or_else(|| file.context.as_ref().and_then(|c| c.workspace.clone()))
        .filter(|w| !w.trim().is_empty())
        .ok_or_else(|| CredentialsError::MissingWorkspace {
            looked_in: looked_in.clone(),
        })?;
    let entry = file.workspaces.iter().find(|w| w.name == workspace);
    if let Some(api_key) = api_key {
        return Ok(BlaxelCredentials {
            env: entry.and_then(|e| e.env.clone()),
            workspace,
            api_key,
            key_source: KeySource::Given,
        });
    }
    let credentials = entry.and_then(|e| e.credentials.as_ref());
    if let Some(api_key) = credentials.and_then(|c| c.api_key.clone()) {
        return Ok(BlaxelCredentials {
            env: entry.and_then(|e| e.env.clone()),
            workspace,
            api_key,
            key_source: KeySource::BlaxelConfig(path.unwrap_or_default()),
        });
    }
    let detail = match (entry, credentials) {
        (None, _) => format!("workspace not found in {looked_in}"),
        (Some(_), Some(c)) if c.access_token.is_some() || c.client_credentials.is_some() => {
            format!("{looked_in} has a browser or client-credentials login for it, not an API key")
        }
        (Some(_), _) => format!("no apiKey for it in {looked_in}"),
    };
    Err(CredentialsError::MissingApiKey { workspace, detail })
}

fn read_config(path: &Path) -> Result<BlaxelConfigFile, CredentialsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(BlaxelConfigFile::default());
        }
        Err(e) => {
            return Err(CredentialsError::ConfigFile {
                path: path.to_path_buf(),
                reason: e.to_string(),
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(BlaxelConfigFile::default());
    }
    serde_norway::from_str(&text).map_err(|e| CredentialsError::ConfigFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const CONFIG: &str = "context:\n  workspace: main-ws\nworkspaces:\n- name: main-ws\n  id: 0f1e\n  credentials:\n    apiKey: bl_main\n- name: dev-ws\n  credentials:\n    apiKey: bl_dev\n  env: dev\n- name: sso-ws\n  credentials:\n    access_token: eyJ\n    refresh_token: r\n    expires_in: 7200\ntracking: false\n";

    fn config_file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    fn key(c: &BlaxelCredentials) -> &str {
        c.api_key.expose_secret()
    }

    #[test]
    fn given_values_win_and_the_file_is_not_read() {
        let bad = config_file(": not yaml [");
        let c = resolve_credentials(Some("ws".into()), Some("bl_env".into()), Some(bad.path()))
            .unwrap();
        assert_eq!((c.workspace.as_str(), key(&c)), ("ws", "bl_env"));
        assert_eq!(c.key_source, KeySource::Given);
    }

    #[test]
    fn missing_values_come_from_the_blaxel_config() {
        let file = config_file(CONFIG);
        let c = resolve_credentials(None, None, Some(file.path())).unwrap();
        assert_eq!((c.workspace.as_str(), key(&c)), ("main-ws", "bl_main"));
        assert_eq!(
            c.key_source,
            KeySource::BlaxelConfig(file.path().to_path_buf())
        );
        let dev = resolve_credentials(Some("dev-ws".into()), None, Some(file.path())).unwrap();
        assert_eq!((key(&dev), dev.env.as_deref()), ("bl_dev", Some("dev")));
        let given_key =
            resolve_credentials(None, Some("bl_env".into()), Some(file.path())).unwrap();
        assert_eq!(
            (given_key.workspace.as_str(), key(&given_key)),
            ("main-ws", "bl_env")
        );
    }

    #[test]
    fn errors_name_what_is_missing_and_where_to_set_it() {
        let file = config_file(CONFIG);
        let unknown =
            resolve_credentials(Some("other".into()), None, Some(file.path())).unwrap_err();
        let text = unknown.to_string();
        assert!(
            text.starts_with("no Blaxel API key for workspace other: set BL_API_KEY"),
            "{text}"
        );
        assert!(
            text.contains("`bl login other`") && text.contains("workspace not found"),
            "{text}"
        );
        let sso = resolve_credentials(Some("sso-ws".into()), None, Some(file.path())).unwrap_err();
        assert!(sso.to_string().contains("not an API key"), "{sso}");
        let missing = tempfile::tempdir().unwrap();
        let none =
            resolve_credentials(None, None, Some(&missing.path().join("config.yaml"))).unwrap_err();
        assert!(matches!(none, CredentialsError::MissingWorkspace { .. }));
        assert!(none.to_string().contains("set BL_WORKSPACE"), "{none}");
    }

    #[test]
    fn a_broken_config_file_is_reported_with_its_path() {
        let bad = config_file("workspaces: {oops");
        let err = resolve_credentials(Some("ws".into()), None, Some(bad.path())).unwrap_err();
        assert!(matches!(err, CredentialsError::ConfigFile { ref path, .. } if path == bad.path()));
    }

    #[test]
    fn debug_hides_the_key() {
        let c = resolve_credentials(Some("ws".into()), Some("bl_topsecret".into()), None).unwrap();
        assert!(!format!("{c:?}").contains("bl_topsecret"));
    }
}
