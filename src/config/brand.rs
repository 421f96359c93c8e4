//! `[brand]`: the company that asks, as the customer's pages name it: its name, its app's
//! name at Google, its logo, its accent colour, and where to find its support, privacy
//! policy and terms. A public listener (a `public_url` off loopback) needs the name
//! ([`BrandConfig::required_name`]); the rest is optional.
//!
//! The accent colour is never refused for its contrast: the button's text colour is
//! derived from it ([`crate::http::brand_color::text_on`]), so any accent reads at 4.5:1.

use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

use super::ConfigError;
use super::brand_logo::{self, Logo};
use super::source::Source;
use crate::http::brand_color::{self, Rgb};

/// The longest name the pages show.
const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBrand {
    name: Option<String>,
    google_app_name: Option<String>,
    logo: Option<String>,
    accent_color: Option<String>,
    support_contact: Option<String>,
    privacy_policy_url: Option<String>,
    terms_url: Option<String>,
}

/// How to reach the company's support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupportContact {
    /// An email address (a `mailto:` link).
    Email(String),
    /// An `https://` page.
    Web(Url),
}

impl SupportContact {
    /// As the pages show it: the address, or the page's URL.
    pub fn shown(&self) -> String {
        match self {
            SupportContact::Email(e) => e.clone(),
            SupportContact::Web(u) => u.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandConfig {
    /// The company that asks; required for a public listener.
    pub name: Option<String>,
    /// The app's name as registered at Google (its consent screen shows it); the name when
    /// unset.
    pub google_app_name: Option<String>,
    pub logo: Option<Logo>,
    pub accent: Rgb,
    pub support_contact: Option<SupportContact>,
    pub privacy_policy_url: Option<Url>,
    pub terms_url: Option<Url>,
}

impl Default for BrandConfig {
    fn default() -> Self {
        Self {
            name: None,
            google_app_name: None,
            logo: None,
            accent: brand_color::DEFAULT_ACCENT,
            support_contact: None,
            privacy_policy_url: None,
            terms_url: None,
        }
    }
}

impl BrandConfig {
    /// The brand `--demo` shows: a made-up company.
    pub fn demo() -> Self {
        Self {
            name: Some("Demo Company".into()),
            google_app_name: Some("Demo Company Mail (stand-in)".into()),
            ..Self::default()
        }
    }

    /// The app's name at Google: its own, else the company's.
    pub fn google_app(&self) -> Option<&str> {
        self.google_app_name.as_deref().or(self.name.as_deref())
    }

    /// The company's name, which a listener customers reach from elsewhere (`public_url`
    /// off loopback) must have: the pages name who asks.
    pub fn required_name(&self, file: &str) -> Result<&str, ConfigError> {
        self.name.as_deref().ok_or_else(|| ConfigError::Missing {
            key: "brand.name",
            section: "brand",
            field: "name",
            env: "MCP_ONBOARD_BRAND_NAME",
            file: format!("{file} (a public_url off loopback shows customers who asks for access)"),
        })
    }
}

fn invalid(key: &'static str, (value, from): (String, String), detail: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        value,
        from,
        detail: detail.to_owned(),
    }
}

/// A name the pages show: trimmed, one line, not too long.
fn name(
    key: &'static str,
    picked: Option<(String, String)>,
) -> Result<Option<String>, ConfigError> {
    let Some((text, from)) = picked else {
        return Ok(None);
    };
    let trimmed = text.trim().to_owned();
    if trimmed.chars().any(char::is_control) || trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            key,
            (text, from),
            &format!("expected one line of at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(Some(trimmed))
}

/// An `https://` address the pages link to.
fn https(key: &'static str, picked: Option<(String, String)>) -> Result<Option<Url>, ConfigError> {
    let Some((text, from)) = picked else {
        return Ok(None);
    };
    match Url::parse(text.trim()) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() && u.username().is_empty() => {
            Ok(Some(u))
        }
        _ => Err(invalid(key, (text, from), "expected an https:// address")),
    }
}

fn support(picked: Option<(String, String)>) -> Result<Option<SupportContact>, ConfigError> {
    let Some((text, from)) = picked else {
        return Ok(None);
    };
    let t = text.trim();
    let email = t.strip_prefix("mailto:").unwrap_or(t);
    let is_email = |e: &str| {
        e.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.contains('@')
        }) && !e
            .contains(|c: char| c.is_whitespace() || c.is_control() || "<>\"'()[]:;,/?".contains(c))
    };
    if is_email(email) {
        return Ok(Some(SupportContact::Email(email.to_owned())));
    }
    match https("brand.support_contact", Some((text.clone(), from.clone()))) {
        Ok(u) => Ok(u.map(SupportContact::Web)),
        Err(_) => Err(invalid(
            "brand.support_contact",
            (text, from),
            "expected an email address (or mailto:address) or an https:// address",
        )),
    }
}

pub(super) fn resolve(src: &Source) -> Result<BrandConfig, ConfigError> {
    let file: FileBrand = src.section("brand")?;
    let accent = match src.pick("MCP_ONBOARD_BRAND_ACCENT_COLOR", file.accent_color) {
        None => brand_color::DEFAULT_ACCENT,
        Some((text, from)) => {
            Rgb::parse(text.trim()).map_err(|e| invalid("brand.accent_color", (text, from), &e))?
        }
    };
    let from_env = src.pick("MCP_ONBOARD_BRAND_LOGO", None);
    let logo = match src.pick("MCP_ONBOARD_BRAND_LOGO", file.logo) {
        None => None,
        Some((text, from)) => {
            let mut path = PathBuf::from(text.trim());
            if path.is_relative()
                && from_env.is_none()
                && let Some(dir) = src.file_dir()
            {
                path = dir.join(path);
            }
            let logo = brand_logo::read(&path).map_err(|why| {
                invalid(
                    "brand.logo",
                    (text, from),
                    &format!("{why} (expected a PNG or SVG file)"),
                )
            })?;
            Some(logo)
        }
    };
    Ok(BrandConfig {
        name: name("brand.name", src.pick("MCP_ONBOARD_BRAND_NAME", file.name))?,
        google_app_name: name(
            "brand.google_app_name",
            src.pick("MCP_ONBOARD_BRAND_GOOGLE_APP_NAME", file.google_app_name),
        )?,
        logo,
        accent,
        support_contact: support(
            src.pick("MCP_ONBOARD_BRAND_SUPPORT_CONTACT", file.support_contact),
        )?,
        privacy_policy_url: https(
            "brand.privacy_policy_url",
            src.pick(
                "MCP_ONBOARD_BRAND_PRIVACY_POLICY_URL",
                file.privacy_policy_url,
            ),
        )?,
        terms_url: https(
            "brand.terms_url",
            src.pick("MCP_ONBOARD_BRAND_TERMS_URL", file.terms_url),
        )?,
    })
}

#[cfg(test)]
mod tests;
