//! The demo's sample tenant: on a new demo database the console adds `sample`, holding
//! Gmail and Google Drive, issues its link and consents Gmail through it as the demo's
//! customer (on the Google stand-in), so the console opens on a tenant whose integrations
//! stand apart: Gmail goes on to deployed, Drive waits for its own consent, which the same
//! link asks next. Everything goes through the engine's commands and the listener, as an
//! operator and a customer would.

use anyhow::{Context as _, Result, bail};

use crate::domain::lifecycle::NewTenant;
use crate::domain::model::Integration;
use crate::engine::EngineApi;
use crate::engine::api::{Command, Reply};

/// The sample tenant's slug.
pub const SAMPLE_SLUG: &str = "sample";
/// How long the sample's link works (the console's default).
const LINK_TTL_SECS: u64 = 7 * 24 * 3600;

/// Add the sample tenant and consent its first integration.
pub async fn add(api: &dyn EngineApi) -> Result<()> {
    let input = NewTenant {
        slug: SAMPLE_SLUG.into(),
        display_name: Some("Sample Ltd".into()),
        integration: Integration::Gmail,
        also: vec![Integration::GoogleDrive],
        ..Default::default()
    };
    api.call(Command::AddTenant(input))
        .await
        .context("adding the sample tenant")?;
    let reply = api
        .call(Command::IssueLink {
            slug: SAMPLE_SLUG.into(),
            ttl_secs: LINK_TTL_SECS,
            replace: false,
            integration: None,
        })
        .await
        .context("issuing the sample's link")?;
    let Reply::Link(link) = reply else {
        bail!("issuing the sample's link answered {reply:?}");
    };
    crate::sandbox::customer::consent(&link.url, super::DEMO_CUSTOMER_EMAIL)
        .await
        .context("consenting the sample's Gmail")?;
    Ok(())
}
