//! A tenant's Google Drive beside its Gmail: adding it, a link and a consent for one
//! integration alone, and a Drive consent stored as the callback stores one (its own token
//! under Drive's name), by an account of the Google stand-in or with a token the stand-in
//! never issued; a harness whose Drive has an OAuth client of its own; a tenant as stored.

use mcp_onboard::engine::api::LinkView;
use mcp_onboard::engine::lifecycle::NewTenant;
use mcp_onboard::engine::model::{GoogleIdentity, Integration, Tenant, TenantStatus};
use mcp_onboard::engine::{Command, EngineError, Reply};
use secrecy::SecretString;

use super::pg::Backend;
use super::{Harness, OWNER, Page, harness_with_env_on};

/// Where an added Drive keeps its refresh token.
pub const DRIVE_TOKEN: &str = "google-drive/refresh_token";

/// Drive's own OAuth client in [`harness_with_drive_client`].
pub const DRIVE_CLIENT_ID: &str = "drive-own.apps.sandbox";
pub const DRIVE_CLIENT_SECRET: &str = "drive-own-secret";

/// A harness on `backend` whose Drive has an OAuth client of its own
/// (`[integrations.google-drive]`), which the Google stand-in knows as well as
/// `[google]`'s. `None`: PostgreSQL is not installed (SKIPPED).
pub async fn harness_with_drive_client(backend: Backend) -> Option<Harness> {
    let h = harness_with_env_on(
        &[
            ("GOOGLE_DRIVE_CLIENT_ID", DRIVE_CLIENT_ID),
            ("GOOGLE_DRIVE_CLIENT_SECRET", DRIVE_CLIENT_SECRET),
        ],
        backend,
    )
    .await?;
    h.google.add_client(DRIVE_CLIENT_ID, DRIVE_CLIENT_SECRET);
    Some(h)
}

/// Add (`add`) or remove `i` of `slug`: the engine's answer.
pub async fn integration(
    h: &Harness,
    slug: &str,
    i: Integration,
    add: bool,
) -> Result<Reply, EngineError> {
    let (slug, integration) = (slug.to_owned(), i);
    let c = if add {
        Command::AddIntegration { slug, integration }
    } else {
        Command::RemoveIntegration { slug, integration }
    };
    h.engine.run(OWNER, c).await
}

/// `slug`'s Drive consents as `email`: the stand-in issues a refresh token to that account
/// (see [`token_of`]), which becomes Drive's token of `slug`.
pub async fn consent_drive(h: &Harness, slug: &str, email: &str) {
    let (who, token) = token_of(h, slug, email).await;
    plant_drive(h, slug, who, token).await;
}

/// A refresh token the stand-in issued to `email`, and its identity: through a scratch
/// tenant's consent (named after `slug`), which then goes, holding nothing.
pub async fn token_of(h: &Harness, slug: &str, email: &str) -> (GoogleIdentity, SecretString) {
    let scratch = format!("{slug}-scratch");
    h.add(&scratch, None, None).await;
    assert_eq!(h.onboard(&scratch, email).await.status, 200);
    let (from, token) = h
        .engine
        .commit_for_tests(move |tx| {
            let from = tx.tenant(&scratch)?.expect("the scratch tenant");
            let token = tx.secret(&scratch, "refresh_token")?.expect("its token");
            tx.remove_tenant(&scratch)?;
            Ok((from, token))
        })
        .await
        .unwrap();
    (from.google.expect("the scratch tenant's account"), token)
}

/// `slug`'s Drive holds a consent by `who` with refresh `token` (deployed, as if its
/// provisioning had run); the tenant takes `who` as its account when it has none yet.
pub async fn plant_drive(h: &Harness, slug: &str, who: GoogleIdentity, token: SecretString) {
    let slug = slug.to_owned();
    h.engine
        .commit_for_tests(move |tx| {
            let mut t = tx.tenant(&slug)?.expect("the tenant");
            if t.google.is_none() {
                t.google = Some(who.clone());
            }
            let drive = t
                .added
                .iter_mut()
                .find(|a| a.integration == Integration::GoogleDrive)
                .expect("Drive added");
            drive.consented_at = Some(tx.now());
            drive.status = TenantStatus::Deployed;
            drive.granted_scopes = drive.scopes.clone();
            tx.put_secret(&slug, DRIVE_TOKEN, &token)?;
            tx.put_tenant(t, None)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// A link of an hour for `i` of `slug` alone.
pub async fn link_for(h: &Harness, slug: &str, i: Integration) -> LinkView {
    let issue = Command::IssueLink {
        slug: slug.into(),
        ttl_secs: 3600,
        replace: false,
        integration: Some(i),
    };
    let Reply::Link(link) = h.run(issue).await else {
        panic!("a link");
    };
    link
}

/// A link for `i` of `slug` alone, consented by `email` over HTTP: the callback's page.
pub async fn consent_for(h: &Harness, slug: &str, i: Integration, email: &str) -> Page {
    h.onboard_through(&link_for(h, slug, i).await, email).await
}

/// A link for `slug`'s Drive alone, consented by `email` over HTTP: the callback's page.
pub async fn consent_drive_through_link(h: &Harness, slug: &str, email: &str) -> Page {
    consent_for(h, slug, Integration::GoogleDrive, email).await
}

/// `slug` as stored (what the view does not show of its integrations' states).
pub async fn stored(h: &Harness, slug: &str) -> Tenant {
    let s = slug.to_owned();
    h.engine
        .store()
        .read(move |st| st.tenant(&s))
        .await
        .unwrap()
        .expect("the tenant")
}

/// A tenant `slug` of Drive alone, consented by `email` over HTTP.
pub async fn drive_only(h: &Harness, slug: &str, email: &str) {
    let input = NewTenant {
        slug: slug.into(),
        integration: Integration::GoogleDrive,
        ..Default::default()
    };
    h.run(Command::AddTenant(input)).await;
    let page = h.onboard(slug, email).await;
    assert_eq!(page.status, 200, "{}", page.body);
}
