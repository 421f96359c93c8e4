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
    /// The company the customer's pages name, in one line; `Err` when a public listener
    /// has no brand name.
    pub brand: Result<String, String>,
    /// The relay links are mailed through, in one line; `None`: mail is off.
    pub mail: Option<String>,
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
        let brand = config
            .check_for_serving(demo)
            .map(|()| brand_text(&config.brand))
            .map_err(|e| e.to_string());
        Findings {
            google,
            public_url: config.listener.public_url.clone(),
            blaxel,
            brand,
            mail: config.mail.as_ref().map(mail_text),
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
        [
            self.google.as_ref().err(),
            self.blaxel.as_ref().err(),
            self.brand.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
    }
}

/// The relay in one line: `smtps://relay:465 as ops (password set); from ...; 60 a minute`.
fn mail_text(m: &super::MailConfig) -> String {
    let login = match (&m.user, &m.password) {
        (Some(u), Some(_)) => format!(" as {u} (password set)"),
        (Some(u), None) => format!(" as {u} (no password: set MCP_ONBOARD_MAIL_PASSWORD)"),
        _ => " (no login)".to_owned(),
    };
    let tls = match m.relay.tls {
        super::RelayTls::Wrapper => "TLS",
        super::RelayTls::StartTls => "STARTTLS required",
        super::RelayTls::None => "plain, on loopback",
    };
    let reply = m
        .reply_to
        .as_deref()
        .map(|r| format!(", replies to {r}"))
        .unwrap_or_default();
    let roots = m
        .roots
        .as_ref()
        .map(|r| {
            format!(
                "; trusts {} authorit{} of {} too",
                r.der.len(),
                if r.der.len() == 1 { "y" } else { "ies" },
                r.path.display()
            )
        })
        .unwrap_or_default();
    format!(
        "{} ({tls}){login}; from {}{reply}; at most {} a minute{roots}",
        m.relay.shown(),
        m.from,
        m.per_minute
    )
}

/// The brand in one line: `Parcel AI (at Google: Parcel Mail); logo ...; accent ...`.
fn brand_text(b: &super::BrandConfig) -> String {
    use crate::http::brand_color::text_on;
    let mut parts = vec![match (b.name.as_deref(), b.google_app_name.as_deref()) {
        (None, _) => {
            "no name (set [brand] name or MCP_ONBOARD_BRAND_NAME: the pages name who asks)"
                .to_owned()
        }
        (Some(n), Some(app)) if app != n => format!("{n} (at Google: {app})"),
        (Some(n), _) => n.to_owned(),
    }];
    if let Some(logo) = &b.logo {
        parts.push(format!(
            "logo {} ({}, {} bytes)",
            logo.path.display(),
            logo.kind.content_type(),
            logo.bytes.len()
        ));
    }
    parts.push(format!(
        "accent {} (button text {})",
        b.accent.hex(),
        text_on(b.accent).hex()
    ));
    if let Some(s) = &b.support_contact {
        parts.push(format!("support {}", s.shown()));
    }
    if let Some(u) = &b.privacy_policy_url {
        parts.push(format!("privacy policy {u}"));
    }
    if let Some(u) = &b.terms_url {
        parts.push(format!("terms {u}"));
    }
    parts.join("; ")
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
        Config::from_env_pairs(env).unwrap()
    }

    #[test]
    fn the_facts_say_what_is_there_and_what_is_missing() {
        let all = config(&[
            ("GOOGLE_CLIENT_ID", "app.apps.googleusercontent.com"),
            ("GOOGLE_CLIENT_SECRET", "GOCSPX-x"),
            ("BL_WORKSPACE", "acme"),
            ("BL_API_KEY", "bl_x"),
            ("MCP_ONBOARD_PUBLIC_URL", "https://onboard.example.com"),
            ("MCP_ONBOARD_BRAND_NAME", "Parcel AI"),
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
        assert_eq!(
            f.brand.as_deref(),
            Ok("Parcel AI; accent #1a66d2 (button text #ffffff)")
        );
        let local = Findings::of(&config(&[]), false);
        assert!(
            local.brand.as_ref().unwrap().starts_with("no name"),
            "{:?}",
            local.brand
        );
        let public = config(&[
            ("MCP_ONBOARD_PUBLIC_URL", "https://onboard.example.com"),
            ("MCP_ONBOARD_BRAND_GOOGLE_APP_NAME", "Parcel Mail"),
        ]);
        let f = Findings::of(&public, false);
        assert!(
            f.problems().iter().any(|p| p.contains("brand.name")),
            "{:?}",
            f.problems()
        );
        let named = config(&[
            ("MCP_ONBOARD_BRAND_NAME", "Parcel AI"),
            ("MCP_ONBOARD_BRAND_GOOGLE_APP_NAME", "Parcel Mail"),
            ("MCP_ONBOARD_BRAND_ACCENT_COLOR", "#ffcc00"),
            (
                "MCP_ONBOARD_BRAND_TERMS_URL",
                "https://parcel.example/terms",
            ),
        ]);
        assert_eq!(
            Findings::of(&named, false).brand.as_deref(),
            Ok(
                "Parcel AI (at Google: Parcel Mail); accent #ffcc00 (button text #1d1f23); terms https://parcel.example/terms"
            )
        );

        assert_eq!(f.mail, None, "mail is off unless set");
        let mail = config(&[
            ("MCP_ONBOARD_MAIL_SMTP_URL", "smtp://relay.parcel.example"),
            (
                "MCP_ONBOARD_MAIL_FROM",
                "Parcel AI <onboarding@parcel.example>",
            ),
            ("MCP_ONBOARD_MAIL_USER", "ops"),
            ("MCP_ONBOARD_MAIL_PASSWORD", "s3cret-pass"),
        ]);
        assert_eq!(
            Findings::of(&mail, false).mail.as_deref(),
            Some(
                "smtp://relay.parcel.example:587 (STARTTLS required) as ops (password set); from Parcel AI <onboarding@parcel.example>; at most 60 a minute"
            )
        );

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
