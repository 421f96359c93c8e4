//! What the CLI's printing tests print: a tenant row with nothing but its slug and name
//! set, for each test to fill in what it looks at.

use crate::domain::model::TenantStatus;
use crate::engine::api::TenantSummary;

/// A just-created tenant `slug` named `name`, last changed at the epoch.
pub fn summary(slug: &str, name: &str) -> TenantSummary {
    TenantSummary {
        slug: slug.into(),
        display_name: name.into(),
        status: TenantStatus::Created,
        failure: None,
        reason: None,
        google_email: None,
        expected_account: None,
        step: None,
        blaxel_status: None,
        mcp_url: None,
        lang: None,
        updated_at: String::new(),
        updated_ms: 0,
    }
}
