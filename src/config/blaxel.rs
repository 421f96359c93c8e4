//! `[blaxel]`: the control plane's URL, and the workspace and API key when they are given
//! here. Without them provisioning falls back to the Blaxel CLI's own config
//! (`~/.blaxel/config.yaml`); that lookup belongs to the Blaxel module and happens only
//! when provisioning needs the credentials.

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::ConfigError;
use super::source::Source;

pub const BLAXEL_API_URL: &str = "https://api.blaxel.ai/v0";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBlaxel {
    api_url: Option<String>,
    workspace: Option<String>,
    api_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BlaxelConfig {
    pub api_url: Url,
    pub workspace: Option<String>,
    pub api_key: Option<SecretString>,
}

pub(super) fn resolve(src: &Source) -> Result<BlaxelConfig, ConfigError> {
    let file: FileBlaxel = src.section("blaxel")?;
    Ok(BlaxelConfig {
        api_url: src.secret_url("blaxel.api_url", "BL_API_URL", file.api_url, BLAXEL_API_URL)?,
        workspace: src.pick("BL_WORKSPACE", file.workspace).map(|v| v.0),
        api_key: src
            .pick("BL_API_KEY", file.api_key)
            .map(|v| SecretString::from(v.0)),
    })
}
