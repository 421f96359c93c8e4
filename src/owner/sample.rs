//! The demo's sample tenant: the demo's owning console adds `sample`, holding Gmail and
//! Google Drive, to a database that holds no tenant and never held the sample (its audit
//! chain names none: removing the sample does not bring it back), issues its link, hands
//! the link to the console (whose link view shows it), and consents Gmail through it as the
//! demo's customer (on the Google stand-in), so the console opens on a tenant whose
//! integrations stand apart: Gmail goes on to deployed, Drive waits for its own consent,
//! which the same link asks next. Everything goes through the engine's commands and the
//! listener, as an operator and a customer would.

use anyhow::{Context as _, Result, bail};

use crate::domain::lifecycle::NewTenant;
use crate::domain::link_ttl::DEFAULT_LINK_TTL;
use crate::domain::model::Integration;
use crate::engine::EngineApi;
use crate::engine::api::{Command, LinkView, Reply};

/// The sample tenant's slug.
pub const SAMPLE_SLUG: &str = "sample";

/// Add the sample when this database wants it ([`wanted`]): `keep` gets its link as soon
/// as it is issued (before the consent, which may fail on its own).
pub async fn offer(api: &dyn EngineApi, keep: impl FnOnce(LinkView)) -> Result<()> {
    if !wanted(api)
        .await
        .context("asking whether to add the sample")?
    {
        return Ok(());
    }
    let link = add(api).await?;
    keep(link.clone());
    consent_first(&link).await
}

/// Whether the sample goes into this database: it holds no tenant, and the sample was
/// never added to it. Asked each time the demo's console owns the database, so a first
/// run that stopped before adding it (the port taken) does not keep it out for good.
pub async fn wanted(api: &dyn EngineApi) -> Result<bool> {
    let Reply::Status(status) = api.call(Command::Status).await? else {
        bail!("the status answered something else");
    };
    if status.tenants > 0 {
        return Ok(false);
    }
    let audit = Command::Audit {
        tenant: Some(SAMPLE_SLUG.into()),
        since_ms: None,
    };
    let Reply::Audit { records } = api.call(audit).await? else {
        bail!("the audit chain answered something else");
    };
    Ok(records.is_empty())
}

/// Add the sample tenant and issue its link: the link, for the console to keep.
pub async fn add(api: &dyn EngineApi) -> Result<LinkView> {
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
            ttl_secs: DEFAULT_LINK_TTL.as_secs(),
            replace: false,
            integration: None,
        })
        .await
        .context("issuing the sample's link")?;
    let Reply::Link(link) = reply else {
        bail!("issuing the sample's link answered {reply:?}");
    };
    Ok(link)
}

/// Consent the sample's first integration through its link, as the demo's customer.
pub async fn consent_first(link: &LinkView) -> Result<()> {
    crate::sandbox::customer::consent(&link.url, super::DEMO_CUSTOMER_EMAIL)
        .await
        .context("consenting the sample's Gmail")?;
    Ok(())
}
