//! What checks report: a token check, a token's health as `tenant show` shows it, a drift
//! found by reconcile, a webhook delivery.

use serde::{Deserialize, Serialize};

use crate::domain::health::{Health, TokenHealth};
use crate::domain::model::TenantStatus;
use crate::time::{Millis, rfc3339};

/// One tenant's check, as faces show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub slug: String,
    pub health: Health,
    pub reason: String,
    pub checked_at: String,
    /// The tenant's status after the check.
    pub status: TenantStatus,
}

/// What `tenant show` adds about the token: the last check, and for an app in Testing the
/// refresh token's expiry.
pub fn token_view(
    health: Option<&TokenHealth>,
    consented_at: Option<Millis>,
    app_in_testing: bool,
) -> Option<TokenView> {
    let consented_at = consented_at?;
    Some(TokenView {
        health: health.map(|h| h.health),
        reason: health.map(|h| h.reason.clone()),
        checked_at: health.map(|h| rfc3339(h.checked_at)),
        healthy_at: health.and_then(|h| h.healthy_at).map(rfc3339),
        inconclusive_in_a_row: health.map_or(0, |h| h.transient_in_a_row),
        testing_expires_at: app_in_testing
            .then(|| rfc3339(crate::domain::health::testing_expiry(consented_at))),
        testing_expires_ms: app_in_testing
            .then(|| crate::domain::health::testing_expiry(consented_at)),
        account_tokens_issued: 0,
        facts: Default::default(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_at: Option<String>,
    #[serde(default)]
    pub inconclusive_in_a_row: u32,
    /// For an app in Testing status: Google expires the refresh token at this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testing_expires_at: Option<String>,
    /// `testing_expires_at` in unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testing_expires_ms: Option<Millis>,
    /// Refresh tokens issued to our client by this tenant's Google account, through every
    /// tenant it consented for; Google keeps at most 100 live and ends the oldest beyond.
    #[serde(default)]
    pub account_tokens_issued: u32,
    /// What Google's security events and the last refusal told of it (see
    /// [`super::token_facts_view`]).
    #[serde(flatten)]
    pub facts: super::token_facts_view::FactsView,
}

/// One disagreement, with what fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// `missing_server`, `missing_connection`, `wrong_connection`, `not_deployed` or
    /// `orphan`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// `function` or `connection`.
    pub resource: String,
    pub name: String,
    pub detail: String,
}

/// What one POST came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub url: String,
    /// The HTTP status, when the receiver answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Delivery {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

impl TokenView {
    /// The view with what `facts` tells.
    pub fn with_facts(mut self, facts: Option<&crate::domain::token_facts::TokenFacts>) -> Self {
        self.facts = super::token_facts_view::FactsView::of(facts);
        self
    }
}
