//! Integration profiles: the one table of the Blaxel integrations that take a Google refresh
//! token. Each entry says the Blaxel integration name, the scopes asked beyond the identity
//! scopes, what the customer's page says it allows, the secret names of its connection and
//! the parts of its resource names.
//!
//! Invariant: adding an integration of this shape is one variant of [`Integration`] and one
//! entry of [`PROFILES`]; every rule about an integration reads its profile. Each
//! integration is granted by its own Google authorization asking only its own scopes, so a
//! token can do only its integration's job.

use serde::{Deserialize, Serialize};

use crate::blaxel::names::{NameParts, ResourceNames};
use crate::blaxel::{GOOGLE_OAUTH_SECRETS, SecretNames};

pub const GMAIL_SEND_SCOPE: &str = "https://www.googleapis.com/auth/gmail.send";
pub const DRIVE_FILE_SCOPE: &str = "https://www.googleapis.com/auth/drive.file";

/// Scopes every consent asks besides the integration's own: the MCP server learns the
/// account it acts for from the id_token.
pub const IDENTITY_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// The Blaxel integration a tenant is onboarded to; its profile fixes everything else.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Integration {
    #[default]
    Gmail,
    GoogleDrive,
}

/// One supported integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntegrationProfile {
    pub integration: Integration,
    /// Blaxel's integration name; operators and the config name it so too.
    pub name: &'static str,
    /// What a narrow table calls it (`drive`); its first letter stands for it where only
    /// a letter fits, so no two share one.
    pub short: &'static str,
    /// Scopes asked at Google beyond [`IDENTITY_SCOPES`].
    pub scopes: &'static [&'static str],
    /// The Google API its scopes need enabled in the OAuth client's Cloud project.
    pub google_api: &'static str,
    /// Id of the page message naming it to the customer (`Gmail`, `Google Drive`).
    pub name_message: &'static str,
    /// Id of the page message saying what the customer allows (in every language).
    pub allows_message: &'static str,
    /// Id of the message's line saying the same (the ready-to-send message).
    pub access_message: &'static str,
    pub secrets: SecretNames,
    /// Connection `{connection}-{slug}`, MCP server `{function}-{slug}`.
    pub names: NameParts<'static>,
}

/// Every supported integration, in the order they are listed and consented.
pub const PROFILES: [IntegrationProfile; 2] = [
    IntegrationProfile {
        integration: Integration::Gmail,
        name: "gmail",
        short: "gmail",
        scopes: &[GMAIL_SEND_SCOPE],
        google_api: "Gmail API",
        name_message: "integration-gmail",
        allows_message: "allow-gmail",
        access_message: "message-access-gmail",
        secrets: GOOGLE_OAUTH_SECRETS,
        names: NameParts {
            connection: "gmail",
            function: "gmail-mcp",
        },
    },
    IntegrationProfile {
        integration: Integration::GoogleDrive,
        name: "google-drive",
        short: "drive",
        scopes: &[DRIVE_FILE_SCOPE],
        google_api: "Google Drive API",
        name_message: "integration-google-drive",
        allows_message: "allow-google-drive",
        access_message: "message-access-google-drive",
        secrets: GOOGLE_OAUTH_SECRETS,
        names: NameParts {
            connection: "google-drive",
            function: "google-drive-mcp",
        },
    },
];

impl Integration {
    /// Every integration, in the table's order.
    pub fn all() -> impl Iterator<Item = Integration> {
        PROFILES.iter().map(|p| p.integration)
    }

    /// Its entry of [`PROFILES`].
    pub fn profile(self) -> &'static IntegrationProfile {
        let index = match self {
            Integration::Gmail => 0,
            Integration::GoogleDrive => 1,
        };
        &PROFILES[index]
    }

    /// From its name (`gmail`, `google-drive`).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        PROFILES
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.integration)
    }

    /// A list of integrations as typed (`gmail,google-drive`; commas, semicolons or
    /// spaces between), the first first; `Err` names one that is unknown.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        text.split([',', ';', ' '])
            .filter(|n| !n.trim().is_empty())
            .map(|n| {
                Self::parse(n).ok_or_else(|| {
                    format!("unknown integration {:?}: use {}", n.trim(), Self::names())
                })
            })
            .collect()
    }

    /// The names there are, for messages: `gmail, google-drive`.
    pub fn names() -> String {
        PROFILES
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn name(self) -> &'static str {
        self.profile().name
    }

    /// Its short name ([`IntegrationProfile::short`]).
    pub fn short(self) -> &'static str {
        self.profile().short
    }

    /// The letter standing for it where only one fits.
    pub fn letter(self) -> char {
        self.short().chars().next().unwrap_or('?')
    }

    /// Scopes asked at Google: the identity scopes and the integration's own, only those.
    pub fn scopes(self) -> Vec<String> {
        IDENTITY_SCOPES
            .iter()
            .chain(self.profile().scopes)
            .map(|s| (*s).to_owned())
            .collect()
    }

    /// The names of the tenant's Blaxel resources for this integration.
    pub fn resource_names(
        self,
        slug: &str,
    ) -> Result<ResourceNames, crate::blaxel::names::InvalidSlug> {
        crate::blaxel::names::names_from_parts(&self.profile().names, slug)
    }
}

impl std::fmt::Display for Integration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Integration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Integration::parse(s)
            .ok_or_else(|| format!("unknown integration {s:?}: use one of {}", Self::names()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_integrations_is_read_in_order() {
        use Integration::{Gmail, GoogleDrive};
        assert_eq!(
            Integration::parse_list("gmail,google-drive"),
            Ok(vec![Gmail, GoogleDrive])
        );
        assert_eq!(
            Integration::parse_list(" google-drive; gmail "),
            Ok(vec![GoogleDrive, Gmail])
        );
        assert_eq!(Integration::parse_list(""), Ok(vec![]));
        let bad = Integration::parse_list("gmail dropbox").unwrap_err();
        assert!(bad.contains("\"dropbox\""), "{bad}");
    }

    #[test]
    fn every_integration_has_its_own_entry_and_name() {
        for (i, p) in PROFILES.iter().enumerate() {
            assert_eq!(p.integration.profile(), p, "{}", p.name);
            assert_eq!(Integration::parse(p.name), Some(p.integration));
            assert_eq!(serde_json::to_value(p.integration).unwrap(), p.name);
            assert_eq!(p.integration.to_string(), p.name);
            for q in &PROFILES[i + 1..] {
                assert_ne!(p.integration, q.integration);
                assert_ne!(p.name, q.name);
                assert_ne!(p.integration.letter(), q.integration.letter());
                assert_ne!(p.allows_message, q.allows_message);
                assert_ne!(p.access_message, q.access_message);
            }
        }
        assert_eq!(
            Integration::parse("Google-Drive"),
            Some(Integration::GoogleDrive)
        );
        assert_eq!(Integration::parse("drive"), None);
        let err = "drive".parse::<Integration>().unwrap_err();
        assert!(err.contains("gmail, google-drive"), "{err}");
    }

    #[test]
    fn each_integration_asks_only_its_own_scopes() {
        assert_eq!(
            Integration::Gmail.scopes(),
            ["openid", "email", "profile", GMAIL_SEND_SCOPE]
        );
        assert_eq!(
            Integration::GoogleDrive.scopes(),
            ["openid", "email", "profile", DRIVE_FILE_SCOPE]
        );
        for p in &PROFILES {
            for q in &PROFILES {
                if p.integration != q.integration {
                    for own in q.scopes {
                        assert!(!p.integration.scopes().iter().any(|s| s == own));
                    }
                }
            }
        }
    }

    /// Names are `{prefix}-{slug}`: no prefix may be another's followed by a hyphen, or
    /// one integration's name for a slug could be another's for another slug.
    #[test]
    fn no_resource_prefix_extends_another() {
        let prefixes = |pick: fn(&NameParts<'static>) -> &'static str| {
            PROFILES.iter().map(move |p| pick(&p.names))
        };
        for pick in [
            (|n: &NameParts<'static>| n.connection) as fn(&NameParts<'static>) -> &'static str,
            |n: &NameParts<'static>| n.function,
        ] {
            for a in prefixes(pick) {
                for b in prefixes(pick) {
                    if a != b {
                        assert!(!b.starts_with(&format!("{a}-")), "{a} / {b}");
                    }
                }
            }
        }
    }
}
