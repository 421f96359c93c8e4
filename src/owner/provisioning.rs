//! Starting the provisioner for the owner: Blaxel credentials (or the demo's stand-in), the
//! Google client the tenants consented to, and the settings from the config. Whether it
//! runs, and why not, is the engine's provisioner state: published, never printed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use axum::Router;
use secrecy::SecretString;

use super::OwnerOptions;
use crate::blaxel::{BlaxelClient, resolve_credentials};
use crate::domain::actor::{Actor, Worker};
use crate::domain::model::ProvisionerState;
use crate::engine::Engine;
use crate::engine::ops::jobs::PublishProvisioner;
use crate::provision::{OAuthClient, OAuthClients, ProvisionSettings, Provisioner};
use crate::sandbox::blaxel::{BlaxelSandboxConfig, BlaxelSandboxState, router};
use crate::store::Fence;

pub const DEMO_BLAXEL_PREFIX: &str = "/sandbox/blaxel";
pub const DEMO_BLAXEL_WORKSPACE: &str = "demo";
pub const DEMO_BLAXEL_KEY: &str = "bl_sandbox_demo_key";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const ME: Actor = Actor::System(Worker::Provisioner);

/// The demo's Blaxel stand-in, to mount on the listener.
pub fn demo_blaxel(opts: &OwnerOptions) -> Result<Router> {
    let run_url = opts
        .config
        .public_path(&format!("{DEMO_BLAXEL_PREFIX}/run"));
    let state = BlaxelSandboxState::new(BlaxelSandboxConfig {
        workspace: DEMO_BLAXEL_WORKSPACE.into(),
        api_key: SecretString::from(DEMO_BLAXEL_KEY),
        deploy_delay: Duration::from_secs(3),
        run_url: Some(run_url),
        ..Default::default()
    });
    Ok(Router::new().nest(DEMO_BLAXEL_PREFIX, router(state)))
}

/// What the provisioner runs with: the Blaxel client, the Google client the tenants
/// consented to, and its settings.
pub struct Provisioning {
    pub client: BlaxelClient,
    oauth: OAuthClients,
    settings: ProvisionSettings,
}

impl Provisioning {
    /// What an owner provisions with (tests build it; [`prepare`] reads the config).
    pub fn new(client: BlaxelClient, oauth: OAuthClients, settings: ProvisionSettings) -> Self {
        Self {
            client,
            oauth,
            settings,
        }
    }
}

/// Resolve what provisioning needs, before the engine is built (it is given the Blaxel
/// client); `Ok(Err(why))` when it cannot run here.
pub fn prepare(opts: &OwnerOptions) -> Result<Result<Provisioning, String>> {
    let cfg = &opts.config;
    let (api_url, workspace, api_key) = match target(cfg, opts.demo)? {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let oauth = match cfg.google_credentials() {
        Ok(c) => OAuthClient {
            client_id: c.client_id,
            client_secret: c.client_secret,
        },
        Err(e) => return Ok(Err(e.to_string())),
    };
    let own = crate::domain::model::Integration::all()
        .filter_map(|i| {
            cfg.integration_clients.get(i).map(|c| {
                let client = OAuthClient {
                    client_id: c.client_id.clone(),
                    client_secret: c.client_secret.clone(),
                };
                (i, client)
            })
        })
        .collect();
    let oauth = OAuthClients::new(oauth, own);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the Blaxel HTTP client")?;
    let client = BlaxelClient::new(api_url.clone(), workspace.clone(), api_key, http)
        .with_timeout(REQUEST_TIMEOUT);
    let settings = ProvisionSettings {
        concurrency: cfg.provision.concurrency,
        ..Default::default()
    };
    tracing::info!(%workspace, %api_url, concurrency = settings.concurrency, "provisioning");
    Ok(Ok(Provisioning {
        client,
        oauth,
        settings,
    }))
}

/// Start the provisioner, to run while this node leads (see [`super::led`]), or say (in
/// `status` and the log) why it cannot run.
pub async fn start(
    engine: &Arc<Engine>,
    provisioning: Result<Provisioning, String>,
) -> Option<tokio::task::JoinHandle<()>> {
    let p = match provisioning {
        Ok(p) => p,
        Err(why) => {
            tracing::warn!(reason = %why, "provisioning disabled");
            let state = ProvisionerState {
                disabled: Some(why),
                ..Default::default()
            };
            engine.run(ME, PublishProvisioner(state)).await;
            return None;
        }
    };
    let leads = engine.leadership();
    // Its calls to Blaxel go out only while this node leads (see `Fence`).
    let client = p.client.with_fence(Fence::led(leads.clone()));
    let provisioner = Provisioner::new(engine.clone(), client, p.oauth, p.settings);
    let e = engine.clone();
    let following = move || {
        let e = e.clone();
        async move {
            let state = ProvisionerState {
                running: true,
                following: true,
                ..Default::default()
            };
            e.run(ME, PublishProvisioner(state)).await;
        }
    };
    if leads.is_leader() {
        engine
            .run(ME, PublishProvisioner(provisioner.state()))
            .await;
    }
    Some(super::led::spawn(
        leads,
        "provisioner",
        move || provisioner.clone().run(),
        following,
    ))
}

/// Where provisioning calls Blaxel, as whom: the API URL, the workspace and the key
/// (`demo`: the built-in stand-in behind the listener); `Ok(Err(why))` without credentials.
pub fn target(
    cfg: &crate::config::Config,
    demo: bool,
) -> Result<Result<(url::Url, String, SecretString), String>> {
    if demo {
        let url = cfg.public_path(&format!("{DEMO_BLAXEL_PREFIX}/v0"));
        return Ok(Ok((
            url,
            DEMO_BLAXEL_WORKSPACE.to_owned(),
            SecretString::from(DEMO_BLAXEL_KEY),
        )));
    }
    match resolve_credentials(
        cfg.blaxel.workspace.clone(),
        cfg.blaxel.api_key.clone(),
        None,
    ) {
        Ok(c) => Ok(Ok((
            api_url_for(cfg, c.env.as_deref())?,
            c.workspace,
            c.api_key,
        ))),
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// The workspace entry of the Blaxel CLI config may say `env: dev`; like the official
/// tools, that picks the dev API unless an API URL was set explicitly.
fn api_url_for(cfg: &crate::config::Config, env: Option<&str>) -> Result<url::Url> {
    let default = cfg.blaxel.api_url.as_str().trim_end_matches('/')
        == crate::config::BLAXEL_API_URL.trim_end_matches('/');
    if default && env.is_some_and(|e| e != "prod") {
        return url::Url::parse("https://api.blaxel.dev/v0").context("dev API URL");
    }
    Ok(cfg.blaxel.api_url.clone())
}
