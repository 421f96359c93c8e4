//! An engine wired to a running provisioner and the Blaxel stand-in, with helpers for the
//! walks tests repeat: store a consent directly or onboard over HTTP, wait for a tenant's
//! status, retry and wait until it is deployed again, run a command that must succeed (or
//! be refused), poll until something holds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_onboard::blaxel::BlaxelClient;
use mcp_onboard::engine::api::TenantView;
use mcp_onboard::engine::lifecycle::{Transition, apply};
use mcp_onboard::engine::model::{GoogleIdentity, TenantStatus};
use mcp_onboard::engine::{Command, EngineError, Reply};
use mcp_onboard::provision::{OAuthClient, ProvisionSettings, Provisioner};
use mcp_onboard::sandbox::blaxel::{BlaxelFaults, BlaxelSandboxConfig, BlaxelSandboxHandle, spawn};
use secrecy::SecretString;

use super::pg::Backend;
use super::{CLIENT_ID, CLIENT_SECRET, Harness, harness_with_blaxel_env};

pub const WS: &str = "acme-ws";
pub const KEY: &str = "bl_test_key";

pub struct Rig {
    pub h: Harness,
    pub blaxel: BlaxelSandboxHandle,
    pub provisioner: Arc<Provisioner>,
    pub worker: tokio::task::JoinHandle<()>,
}

/// Short backoffs and polls, so that faults and retries play out in a test's time.
pub fn fast() -> ProvisionSettings {
    ProvisionSettings {
        concurrency: 8,
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(300),
        first_poll: Duration::from_millis(50),
        max_poll: Duration::from_millis(200),
        deploy_timeout: Duration::from_secs(60),
        scan_interval: Duration::from_millis(200),
        ..Default::default()
    }
}

pub async fn rig(faults: BlaxelFaults) -> Rig {
    rig_with(faults, fast()).await
}

pub async fn rig_with(faults: BlaxelFaults, settings: ProvisionSettings) -> Rig {
    rig_full_on(Backend::Sled, faults, settings, Duration::ZERO)
        .await
        .expect("sled is always there")
}

/// A rig whose store is `backend`'s; `None`: PostgreSQL is not installed (SKIPPED).
pub async fn rig_on(backend: Backend, faults: BlaxelFaults) -> Option<Rig> {
    rig_full_on(backend, faults, fast(), Duration::ZERO).await
}

/// A rig whose store is `backend`'s, its provisioner run with `settings`; `delete_delay`:
/// how long a deleted server stays `DELETING` at the stand-in. `None`: PostgreSQL is not
/// installed (SKIPPED).
pub async fn rig_full_on(
    backend: Backend,
    faults: BlaxelFaults,
    settings: ProvisionSettings,
    delete_delay: Duration,
) -> Option<Rig> {
    rig_env_on(backend, faults, settings, delete_delay, &[]).await
}

/// [`rig_full_on`] with `env` set in the engine's config.
pub async fn rig_env_on(
    backend: Backend,
    faults: BlaxelFaults,
    settings: ProvisionSettings,
    delete_delay: Duration,
    env: &[(&'static str, &str)],
) -> Option<Rig> {
    let blaxel = spawn(BlaxelSandboxConfig {
        workspace: WS.into(),
        api_key: SecretString::from(KEY),
        deploy_delay: Duration::from_millis(150),
        delete_delay,
        faults,
        ..Default::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::builder().build().unwrap();
    let client = BlaxelClient::new(blaxel.base_url(), WS.into(), SecretString::from(KEY), http)
        .with_timeout(Duration::from_millis(500));
    let oauth = OAuthClient {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
    };
    let h = harness_with_blaxel_env(client.clone(), backend, env).await?;
    let provisioner = Provisioner::new(h.engine.clone(), client, oauth, settings);
    let worker = provisioner.clone().spawn();
    Some(Rig {
        h,
        blaxel,
        provisioner,
        worker,
    })
}

/// Store a consent directly (the HTTP path is covered elsewhere), as the callback would.
pub async fn consent_directly(h: &Harness, slug: &str, token: &str) {
    let identity = GoogleIdentity {
        sub: slug.into(),
        email: Some(format!("it@{slug}.example")),
        email_verified: true,
        hd: None,
    };
    let t = Transition::Consented {
        identity,
        granted_scopes: vec![],
    };
    let secret = SecretString::from(token.to_owned());
    let slug = slug.to_owned();
    h.engine
        .commit_for_tests(move |tx| {
            let cur = tx.tenant(&slug)?.unwrap();
            let (next, e) = apply(&cur, &t, tx.now())?;
            tx.put_tenant(next, Some(e))?;
            tx.put_secret(&slug, "refresh_token", &secret)?;
            Ok(())
        })
        .await
        .unwrap();
    h.engine.wake_provisioner();
}

/// Poll until `ok` holds for the tenant, or fail with what it looks like.
pub async fn wait_until(
    h: &Harness,
    slug: &str,
    within: Duration,
    ok: impl Fn(&TenantView) -> bool,
) -> TenantView {
    let start = Instant::now();
    loop {
        let t = h.show(slug).await;
        if ok(&t) {
            return t;
        }
        assert!(
            start.elapsed() < within,
            "{slug} stuck at {:?} ({:?}): {:#?}",
            t.status,
            t.reason,
            t.provisioning
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub async fn wait_for(h: &Harness, slug: &str, want: TenantStatus, within: Duration) -> TenantView {
    wait_until(h, slug, within, |t| t.status == want).await
}

/// How long one tenant is given to get where a test expects it (deployed, failed).
pub const SOON: Duration = Duration::from_secs(20);

impl Rig {
    /// Run `command` on the engine; it must succeed.
    pub async fn run(&self, command: Command) -> Reply {
        self.h.run(command).await
    }

    /// Run `command`, which the engine must refuse: why it did.
    pub async fn refused(&self, command: Command) -> EngineError {
        self.h.refused(command).await
    }

    /// `slug` added and consented (directly, as the callback would) with refresh `token`.
    pub async fn consented(&self, slug: &str, token: &str) {
        self.h.add(slug, None, None).await;
        consent_directly(&self.h, slug, token).await;
    }

    /// `slug` added, onboarded over HTTP by `email` ("you're connected") and deployed:
    /// the refresh token stored for it.
    pub async fn onboarded(&self, slug: &str, email: &str) -> String {
        self.h.add(slug, None, None).await;
        self.onboard_again(slug, email).await;
        self.token(slug)
    }

    /// A consent by `email` over HTTP to a tenant there already, which ends deployed.
    pub async fn onboard_again(&self, slug: &str, email: &str) -> TenantView {
        let page = self.h.onboard(slug, email).await;
        assert_eq!(page.status, 200, "{}", page.body);
        self.reaches(slug, TenantStatus::Deployed).await
    }

    /// The refresh token stored for `slug`.
    pub fn token(&self, slug: &str) -> String {
        use secrecy::ExposeSecret;
        match self.h.token(slug) {
            Some(t) => t.expose_secret().to_owned(),
            None => panic!("no refresh token stored for {slug}"),
        }
    }

    /// Wait (up to [`SOON`]) until `slug` is in `status`.
    pub async fn reaches(&self, slug: &str, status: TenantStatus) -> TenantView {
        wait_for(&self.h, slug, status, SOON).await
    }

    /// Start offboarding `slugs`: the engine's answer.
    pub async fn offboard(&self, slugs: &[&str]) -> Reply {
        self.run(Command::Offboard {
            slugs: slugs.iter().map(|s| (*s).to_owned()).collect(),
        })
        .await
    }

    /// Wait (up to 30s: several steps, each may be retried) until `slug` is offboarded.
    pub async fn offboarded(&self, slug: &str) -> TenantView {
        wait_for(
            &self.h,
            slug,
            TenantStatus::Offboarded,
            Duration::from_secs(30),
        )
        .await
    }

    /// The stand-in's faults cleared, `retry` of `slug`, and `slug` deployed again.
    pub async fn retry_until_deployed(&self, slug: &str) -> TenantView {
        self.blaxel.set_faults(BlaxelFaults::default());
        self.run(Command::Retry { slug: slug.into() }).await;
        self.reaches(slug, TenantStatus::Deployed).await
    }
}

/// Poll `check` until it says `Ok`, or fail after `within` with what it said last.
pub async fn poll_until<E: std::fmt::Debug>(
    within: Duration,
    check: impl AsyncFn() -> Result<(), E>,
) {
    let start = Instant::now();
    loop {
        let last = match check().await {
            Ok(()) => return,
            Err(e) => e,
        };
        assert!(start.elapsed() < within, "still not there: {last:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Issue a link of an hour for `slug`.
pub fn an_hours_link(slug: &str) -> Command {
    Command::IssueLink {
        integration: None,
        slug: slug.into(),
        ttl_secs: 3600,
        replace: false,
    }
}
