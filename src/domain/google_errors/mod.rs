//! Every known Google OAuth error, in one table: where Google says it (at our callback,
//! from its token endpoint, or on its own page, where the customer never comes back), and
//! three texts for it: what the customer's page says (the id of a message in every
//! language, saying what they can do), the tenant's reason (stored on the tenant and its
//! timeline) and the operator's fix (shown with the tenant and logged).
//!
//! The reason carries the error's code after a marker of where Google said it, so the fix
//! is found again from what is stored ([`GoogleCode::in_reason`]); an error no entry names
//! gets a generic entry naming its code.

mod table;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use table::{ENTRIES, NO_REFRESH_TOKEN, UNKNOWN, UNKNOWN_AT_TOKEN};

use crate::domain::integration::Integration;
use crate::domain::model::FailureKind;

/// Where Google says an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// In the redirect back to our callback (`?error=`).
    Authorization,
    /// In the token endpoint's answer to the code exchange.
    Token,
    /// On Google's own page: the customer never comes back.
    GooglePage,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Authorization, Stage::Token, Stage::GooglePage];

    /// What goes before the code in a reason: `(Google token endpoint: invalid_grant)`.
    fn marker(self) -> &'static str {
        match self {
            Stage::Authorization => "Google sign-in",
            Stage::Token => "Google token endpoint",
            Stage::GooglePage => "Google's own page",
        }
    }

    /// Where, for people: "at the callback".
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Authorization => "at the callback",
            Stage::Token => "at the token endpoint",
            Stage::GooglePage => "on Google's own page",
        }
    }
}

/// One known error and its three texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoogleErrorEntry {
    /// Google's code (`invalid_scope`), or ours for a token without a refresh token.
    pub code: &'static str,
    pub at: Stage,
    /// The id of the customer's page message (in every language); `None` where the
    /// customer never comes back to our pages.
    pub customer: Option<&'static str>,
    /// The tenant's reason, before the code's marker.
    pub reason: &'static str,
    /// The operator's fix; `{api}`, `{scopes}`, `{redirect_uri}`, `{client_id}`, `{slug}`
    /// and `{code}` are filled in ([`FixContext`]).
    pub fix: &'static str,
    /// The tenant's failure.
    pub kind: FailureKind,
}

/// The entry of `code` said at `at`, when it is known.
pub fn lookup(at: Stage, code: &str) -> Option<&'static GoogleErrorEntry> {
    ENTRIES.iter().find(|e| e.at == at && e.code == code)
}

/// The errors Google shows on its own page: the likely causes when a customer went to
/// Google and never came back.
pub fn own_page() -> impl Iterator<Item = &'static GoogleErrorEntry> {
    ENTRIES.iter().filter(|e| e.at == Stage::GooglePage)
}

/// What a fix is filled in with.
#[derive(Debug, Clone, Copy)]
pub struct FixContext<'a> {
    pub slug: &'a str,
    pub integration: Integration,
    /// The redirect URI this deployment sends (the one to register).
    pub redirect_uri: &'a str,
    /// The OAuth client's id the integration's consents are made with.
    pub client_id: &'a str,
}

/// A Google error as met: where, and its code as Google sent it (cleaned: anyone can
/// put an `error` in the callback's query).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GoogleCode {
    pub at: Stage,
    pub code: String,
}

/// The longest code kept; Google's are far shorter.
const MAX_CODE: usize = 64;

impl GoogleCode {
    pub fn new(at: Stage, code: &str) -> Self {
        let code: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .take(MAX_CODE)
            .collect();
        Self {
            at,
            code: if code.is_empty() {
                "unnamed".into()
            } else {
                code
            },
        }
    }

    /// Its entry, or the generic one of where Google said it (an unknown error from the
    /// token endpoint is a failed exchange).
    pub fn entry(&self) -> &'static GoogleErrorEntry {
        lookup(self.at, &self.code).unwrap_or(match self.at {
            Stage::Token => &UNKNOWN_AT_TOKEN,
            Stage::Authorization | Stage::GooglePage => &UNKNOWN,
        })
    }

    pub fn known(&self) -> bool {
        lookup(self.at, &self.code).is_some()
    }

    /// The customer's page message.
    pub fn customer(&self) -> &'static str {
        self.entry().customer.unwrap_or("google-error")
    }

    /// The tenant's reason, with Google's own description (if any) after the code.
    pub fn reason(&self, description: Option<&str>) -> String {
        let desc = description
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        format!(
            "{} ({}: {}){desc}",
            self.entry().reason,
            self.at.marker(),
            self.code
        )
    }

    /// The operator's fix, filled in.
    pub fn fix(&self, cx: &FixContext<'_>) -> String {
        fill(self.entry().fix, &self.code, cx)
    }

    /// The error a reason written by [`GoogleCode::reason`] names (the first marker: a
    /// description Google sent comes after it).
    pub fn in_reason(reason: &str) -> Option<Self> {
        let (_, at, rest) = Stage::ALL
            .iter()
            .filter_map(|s| {
                let m = format!("({}: ", s.marker());
                reason.find(&m).map(|i| (i, *s, &reason[i + m.len()..]))
            })
            .min_by_key(|(i, _, _)| *i)?;
        let code = rest.split(')').next()?;
        Some(Self::new(at, code))
    }
}

fn fill(template: &str, code: &str, cx: &FixContext<'_>) -> String {
    let profile = cx.integration.profile();
    template
        .replace("{api}", profile.google_api)
        .replace("{scopes}", &cx.integration.scopes().join(", "))
        .replace("{redirect_uri}", cx.redirect_uri)
        .replace("{slug}", cx.slug)
        .replace("{client_id}", cx.client_id)
        .replace("{code}", code)
}

/// A Google error with its fix, as the tenant's view carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoogleFix {
    pub code: String,
    pub at: Stage,
    /// The integration it is about, when one added after the tenant's first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<Integration>,
    pub fix: String,
}

impl GoogleFix {
    pub fn of(
        code: &GoogleCode,
        integration: Option<Integration>,
        cx: &FixContext<'_>,
    ) -> GoogleFix {
        GoogleFix {
            code: code.code.clone(),
            at: code.at,
            integration,
            fix: code.fix(cx),
        }
    }
}

/// The likely causes, each with its fix, of a customer who went to Google and did not
/// come back.
pub fn own_page_fixes(cx: &FixContext<'_>) -> Vec<GoogleFix> {
    own_page()
        .map(|e| GoogleFix::of(&GoogleCode::new(e.at, e.code), None, cx))
        .collect()
}
