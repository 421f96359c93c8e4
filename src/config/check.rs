//! What the configuration gives, checked offline (the Blaxel CLI's config file is read, no
//! call is made): the Google client, the public URL, the Blaxel credentials. One place
//! finds these facts; `config check` prints them (text or JSON) and the owner keeps them as
//! the lines of the console's set-up panel.

use std::fmt;
use std::path::PathBuf;

use url::Url;

use super::Config;

/// The facts of one configuration; the `Err`s say what is missing.
#[derive(Debug, Clone)]
pub struct Findings {
    /// The Google OAuth client's id (its secret is set too).
    pub google: Result<String, String>,
    pub public_url: Url,
    pub blaxel: Result<Blaxel, String>,
}

/// What provisioning would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blaxel {
    /// The built-in stand-in (`--demo`).
    Demo,
    Credentials {
        workspace: String,
        api_url: Url,
        /// Where the API key comes from: `None` when given (environment or config file),
        /// else the Blaxel CLI's config file.
        key_file: Option<PathBuf>,
    },
}

impl Findings {
    /// The facts of `config`; `demo`: provisioning runs against the built-in stand-in.
    pub fn of(config: &Config, demo: bool) -> Self {
        let google = config
            .google_credentials()
            .map(|c| c.client_id)
            .map_err(|e| e.to_string());
        let blaxel = if demo {
            Ok(Blaxel::Demo)
        } else {
            let b = &config.blaxel;
            crate::blaxel::resolve_credentials(b.workspace.clone(), b.api_key.clone(), None)
                .map(|c| Blaxel::Credentials {
                    workspace: c.workspace,
                    api_url: b.api_url.clone(),
                    key_file: match c.key_source {
                        crate::blaxel::KeySource::Given => None,
                        crate::blaxel::KeySource::BlaxelConfig(p) => Some(p),
                    },
                })
                .map_err(|e| e.to_string())
        };
        Findings {
            google,
            public_url: config.listener.public_url.clone(),
            blaxel,
        }
    }

    /// The Google client as shown: `ID (secret set)`.
    pub fn google_client(&self) -> Result<String, String> {
        self.google
            .as_ref()
            .map(|id| format!("{id} (secret set)"))
            .map_err(Clone::clone)
    }

    /// What is missing, in order; empty when everything needed is there.
    pub fn problems(&self) -> Vec<&str> {
        [self.google.as_ref().err(), self.blaxel.as_ref().err()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

impl Blaxel {
    /// Where the API key comes from, as an operator sets it; `None` for the demo.
    pub fn key_from(&self) -> Option<String> {
        match self {
            Blaxel::Demo => None,
            Blaxel::Credentials { key_file: None, .. } => {
                Some("BL_API_KEY or the config file".to_owned())
            }
            Blaxel::Credentials {
                key_file: Some(p), ..
            } => Some(p.display().to_string()),
        }
    }
}

/// `workspace W at URL`, or the demo's stand-in.
impl fmt::Display for Blaxel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blaxel::Demo => f.write_str("the built-in Blaxel stand-in (demo)"),
            Blaxel::Credentials {
                workspace, api_url, ..
            } => write!(f, "workspace {workspace} at {api_url}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(env: &[(&str, &str)]) -> Config {
        let env: std::collections::HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load(None, false, &|k| env.get(k).cloned()).unwrap()
    }

    #[test]
    fn the_facts_say_what_is_there_and_what_is_missing() {
        let all = config(&[
            ("GOOGLE_CLIENT_ID", "app.apps.googleusercontent.com"),
            ("GOOGLE_CLIENT_SECRET", "GOCSPX-x"),
            ("BL_WORKSPACE", "acme"),
            ("BL_API_KEY", "bl_x"),
            ("MCP_ONBOARD_PUBLIC_URL", "https://onboard.example.com"),
        ]);
        let f = Findings::of(&all, false);
        assert_eq!(
            f.google_client().as_deref(),
            Ok("app.apps.googleusercontent.com (secret set)")
        );
        assert_eq!(f.public_url.as_str(), "https://onboard.example.com/");
        let b = f.blaxel.clone().unwrap();
        assert_eq!(b.to_string(), "workspace acme at https://api.blaxel.ai/v0");
        assert_eq!(
            b.key_from().as_deref(),
            Some("BL_API_KEY or the config file")
        );
        assert!(f.problems().is_empty());

        let demo = Findings::of(&config(&[]), true);
        assert_eq!(demo.blaxel, Ok(Blaxel::Demo));
        assert_eq!(
            demo.blaxel.as_ref().unwrap().to_string(),
            "the built-in Blaxel stand-in (demo)"
        );
        let problems = demo.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("google.client_id"), "{problems:?}");
    }
}
