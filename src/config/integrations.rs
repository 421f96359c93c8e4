//! `[integrations.NAME]`: an OAuth client of its own for one integration (`client_id` and
//! `client_secret`, both or neither; environment `NAME_CLIENT_ID` / `NAME_CLIENT_SECRET`
//! with the name in capitals and `_` for `-`, e.g. `GOOGLE_DRIVE_CLIENT_ID`). An integration
//! without one uses `[google]`'s client.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

use super::ConfigError;
use super::source::Source;
use crate::domain::integration::Integration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileClient {
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The OAuth clients set for single integrations (the others use `[google]`'s).
#[derive(Debug, Clone, Default)]
pub struct IntegrationClients {
    clients: BTreeMap<Integration, super::GoogleCredentials>,
}

impl IntegrationClients {
    /// The client set for `integration`, if one is.
    pub fn get(&self, integration: Integration) -> Option<&super::GoogleCredentials> {
        self.clients.get(&integration)
    }
}

/// The environment variable of `field` for `integration`: `GOOGLE_DRIVE_CLIENT_ID`.
pub fn env_name(integration: Integration, field: &str) -> String {
    format!("{}_{field}", integration.name().replace('-', "_")).to_ascii_uppercase()
}

pub(super) fn resolve(src: &Source) -> Result<IntegrationClients, ConfigError> {
    let mut file: BTreeMap<String, FileClient> = src.section("integrations")?;
    if let Some(unknown) = file.keys().find(|k| Integration::parse(k).is_none()) {
        return Err(ConfigError::Conflict {
            key: format!("integrations.{unknown}"),
            detail: format!(
                "no such integration in {}: use one of {}",
                src.label(),
                Integration::names()
            ),
        });
    }
    let mut clients = BTreeMap::new();
    for integration in Integration::all() {
        let entry = file.remove(integration.name()).unwrap_or_default();
        let id = src.pick(&env_name(integration, "client_id"), entry.client_id);
        let secret = src.pick(&env_name(integration, "client_secret"), entry.client_secret);
        match (id, secret) {
            (None, None) => {}
            (Some((client_id, _)), Some((secret, _))) => {
                clients.insert(
                    integration,
                    super::GoogleCredentials {
                        client_id,
                        client_secret: SecretString::from(secret),
                    },
                );
            }
            (Some((_, from)), None) | (None, Some((_, from))) => {
                return Err(ConfigError::Conflict {
                    key: format!("integrations.{integration}"),
                    detail: format!(
                        "set both client_id and client_secret (or {} and {}), or neither to use [google]'s client; one came from {from}",
                        env_name(integration, "client_id"),
                        env_name(integration, "client_secret"),
                    ),
                });
            }
        }
    }
    Ok(IntegrationClients { clients })
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::domain::integration::Integration;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, crate::config::ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load(Some(&path), true, &move |k| env.get(k).cloned())
    }

    const GOOGLE: &str = "[google]\nclient_id = \"main-id\"\nclient_secret = \"main-secret\"\n";

    #[test]
    fn an_integration_uses_its_own_client_else_googles() {
        let cfg = load(
            &format!("{GOOGLE}[integrations.google-drive]\nclient_id = \"drive-id\"\nclient_secret = \"drive-secret\"\n"),
            &[],
        )
        .unwrap();
        let drive = cfg
            .google_credentials_for(Integration::GoogleDrive)
            .unwrap();
        assert_eq!(drive.client_id, "drive-id");
        assert_eq!(drive.client_secret.expose_secret(), "drive-secret");
        let gmail = cfg.google_credentials_for(Integration::Gmail).unwrap();
        assert_eq!(gmail.client_id, "main-id");
        assert_eq!(gmail.client_secret.expose_secret(), "main-secret");
    }

    #[test]
    fn the_environment_sets_an_integrations_client_too() {
        let cfg = load(
            GOOGLE,
            &[
                ("GOOGLE_DRIVE_CLIENT_ID", "env-drive"),
                ("GOOGLE_DRIVE_CLIENT_SECRET", "env-drive-secret"),
            ],
        )
        .unwrap();
        let drive = cfg
            .google_credentials_for(Integration::GoogleDrive)
            .unwrap();
        assert_eq!(drive.client_id, "env-drive");
        assert_eq!(
            cfg.google_credentials_for(Integration::Gmail)
                .unwrap()
                .client_id,
            "main-id"
        );
    }

    #[test]
    fn half_a_client_or_an_unknown_integration_is_refused() {
        let err = load(
            &format!("{GOOGLE}[integrations.google-drive]\nclient_id = \"drive-id\"\n"),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("integrations.google-drive") && err.contains("GOOGLE_DRIVE_CLIENT_SECRET"),
            "{err}"
        );
        let err = load(
            &format!("{GOOGLE}[integrations.drive]\nclient_id = \"x\"\n"),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("integrations.drive") && err.contains("gmail, google-drive"),
            "{err}"
        );
        let err = load(
            &format!("{GOOGLE}[integrations.gmail]\nclient_idd = \"x\"\n"),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("client_idd"), "{err}");
    }
}
