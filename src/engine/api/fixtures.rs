//! For tests of what the faces show: a tenant row, and a tenant's detail, with nothing but
//! its slug and name set, for each test to fill in what it looks at.

use crate::domain::model::TenantStatus;
use crate::engine::api::{TenantSummary, TenantView};

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
        statuses: Vec::new(),
        mail_to: None,
        mailed: None,
        updated_at: String::new(),
        updated_ms: 0,
    }
}

/// The detail of a just-created tenant `slug` named `name`.
pub fn view(slug: &str, name: &str) -> TenantView {
    TenantView {
        summary: summary(slug, name),
        contact: None,
        contact_email: None,
        last_mail: None,
        integration: Default::default(),
        requested_scopes: Vec::new(),
        granted_scopes: Vec::new(),
        google_sub: None,
        consented_at: None,
        created_at: String::new(),
        provisioning: None,
        links: Vec::new(),
        events: Vec::new(),
        refused_signins: 0,
        token: None,
        pending_consent: None,
        return_url: None,
        integrations: Vec::new(),
        google_fixes: Vec::new(),
        no_callback: None,
        mcp: None,
    }
}
