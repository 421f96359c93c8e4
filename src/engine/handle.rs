//! The engine handle: runs Commands against the store, owns the consent-link and OAuth-flow
//! bookkeeping, and applies lifecycle transitions atomically with their audit events.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::api::{Command, LinkView, Reply, StatusView, TenantSummary, TenantView};
use super::lifecycle::{self, InvalidInput, Transition, TransitionError};
use super::model::{ConsentLink, Tenant};
use crate::config::{Config, ConfigError};
use crate::google::GoogleOAuth;
use crate::store::{Store, StoreError, UpdateError};
use crate::time::{add, now_ms, rfc3339};

pub const MIN_LINK_TTL: Duration = Duration::from_secs(60);
pub const MAX_LINK_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
pub const FLOW_TTL: Duration = Duration::from_secs(10 * 60);
/// 16 random bytes = 128 bits, base64url without padding.
pub const LINK_CODE_LEN: usize = 22;
/// 32 random bytes, base64url without padding.
pub const STATE_LEN: usize = 43;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("no tenant {0:?}; `mcp-onboard tenant list` shows the tenants")]
    UnknownTenant(String),
    #[error("a tenant {0:?} already exists")]
    Exists(String),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    BadRequest(String),
}

impl From<UpdateError<TransitionError>> for EngineError {
    fn from(e: UpdateError<TransitionError>) -> Self {
        match e {
            UpdateError::NotFound(s) => EngineError::UnknownTenant(s),
            UpdateError::Rejected(t) => EngineError::Transition(t),
            UpdateError::Store(s) => EngineError::Store(s),
        }
    }
}

pub struct Engine {
    pub(super) store: Arc<Store>,
    pub(super) config: Arc<Config>,
    pub(super) google: Option<GoogleOAuth>,
    pub(super) google_missing: Option<String>,
    wakeup: tokio::sync::Notify,
    provisioner: std::sync::RwLock<String>,
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// A well-formed link code or state: base64url characters of the exact length.
pub fn well_formed(token: &str, len: usize) -> bool {
    token.len() == len
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Engine {
    /// Build the engine. Missing Google credentials do not stop it (tenants and links can
    /// still be managed); consent flows then fail with a clear reason.
    pub fn new(store: Arc<Store>, config: Arc<Config>) -> Result<Self, EngineError> {
        let (google, google_missing) = match config.google_credentials() {
            Ok(creds) => {
                let g = GoogleOAuth::new(&config.google, &creds, &config.redirect_uri())
                    .map_err(|e| EngineError::BadRequest(e.to_string()))?;
                (Some(g), None)
            }
            Err(e) => (None, Some(e.to_string())),
        };
        Ok(Self {
            store,
            config,
            google,
            google_missing,
            wakeup: tokio::sync::Notify::new(),
            provisioner: std::sync::RwLock::new(
                "not running (only the process that serves runs it)".into(),
            ),
        })
    }

    /// Tell the provisioner that a job may be due now.
    pub fn wake_provisioner(&self) {
        self.wakeup.notify_one();
    }

    pub fn provisioner_wakeup(&self) -> &tokio::sync::Notify {
        &self.wakeup
    }

    /// What `status` says about provisioning (running against which workspace, or why not).
    pub fn set_provisioner_state(&self, text: String) {
        if let Ok(mut s) = self.provisioner.write() {
            *s = text;
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub async fn execute(&self, command: Command) -> Result<Reply, EngineError> {
        match command {
            Command::AddTenant(input) => {
                let (tenant, event) = lifecycle::new_tenant(&input, now_ms())?;
                if !self.store.insert_tenant(&tenant, &event)? {
                    return Err(EngineError::Exists(tenant.slug));
                }
                self.store.flush().await?;
                self.show(&tenant.slug)
            }
            Command::ListTenants => {
                let mut tenants = self.store.tenants()?;
                tenants.sort_by(|a, b| a.slug.cmp(&b.slug));
                Ok(Reply::Tenants {
                    tenants: tenants.iter().map(TenantSummary::of).collect(),
                })
            }
            Command::ShowTenant { slug } => self.show(&slug),
            Command::IssueLink { slug, ttl_secs } => {
                let link = self.issue_link(&slug, Duration::from_secs(ttl_secs))?;
                self.store.flush().await?;
                Ok(Reply::Link(link))
            }
            Command::Status => self.status(),
            Command::RevokeLinks { slug } => {
                self.tenant(&slug)?;
                let ids = self.store.revoke_links(&slug)?;
                if !ids.is_empty() {
                    self.store.record_event(&super::model::AuditEvent {
                        at: now_ms(),
                        tenant: slug.clone(),
                        kind: super::model::EventKind::LinksRevoked,
                        detail: format!("operator withdrew consent links {}", ids.join(", ")),
                    })?;
                }
                self.store.flush().await?;
                self.show(&slug)
            }
            Command::Retry { slug } => {
                self.transition(&slug, Transition::RetryRequested)?;
                self.store.flush().await?;
                self.wake_provisioner();
                self.show(&slug)
            }
        }
    }

    fn show(&self, slug: &str) -> Result<Reply, EngineError> {
        let tenant = self.tenant(slug)?;
        let links = self.store.links_for(slug)?;
        let events = self.store.events(slug)?;
        Ok(Reply::Tenant(Box::new(TenantView::of(
            &tenant,
            &links,
            &events,
            now_ms(),
        ))))
    }

    fn status(&self) -> Result<Reply, EngineError> {
        let tenants = self.store.tenants()?;
        let mut by_status = std::collections::BTreeMap::new();
        for t in &tenants {
            *by_status.entry(t.status).or_insert(0) += 1;
        }
        Ok(Reply::Status(StatusView {
            tenants: tenants.len(),
            by_status,
            public_url: self.config.listener.public_url.to_string(),
            redirect_uri: self.config.redirect_uri().to_string(),
            data_dir: self.store.dir().display().to_string(),
            owner: format!("process {}", std::process::id()),
            provisioner: self
                .provisioner
                .read()
                .map(|s| s.clone())
                .unwrap_or_default(),
        }))
    }

    pub(super) fn tenant(&self, slug: &str) -> Result<Tenant, EngineError> {
        self.store
            .tenant(slug)?
            .ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))
    }

    /// Apply a lifecycle transition and record its event, atomically.
    pub fn transition(&self, slug: &str, t: Transition) -> Result<Tenant, EngineError> {
        let now = now_ms();
        Ok(self.store.update_tenant(slug, None, |cur| {
            lifecycle::apply(cur, &t, now).map(|(t, e)| (t, Some(e)))
        })?)
    }

    fn issue_link(&self, slug: &str, ttl: Duration) -> Result<LinkView, EngineError> {
        if !(MIN_LINK_TTL..=MAX_LINK_TTL).contains(&ttl) {
            return Err(EngineError::BadRequest(format!(
                "link lifetime {} is out of range: use between 1m and 30d",
                humantime::format_duration(ttl)
            )));
        }
        self.tenant(slug)?;
        let code = random_token(16);
        let hash = sha256(&code);
        let now = now_ms();
        let id: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
        let link = ConsentLink {
            tenant: slug.to_owned(),
            id: id.clone(),
            created_at: now,
            expires_at: add(now, ttl),
            revoked: false,
            opened_at: None,
            open_count: 0,
            used_at: None,
        };
        // The link first: a link whose tenant refuses the transition (offboarded) is dead
        // anyway, while a recorded "issued" with no link behind it would mislead.
        self.store.put_link(&hash, &link)?;
        self.transition(
            slug,
            Transition::LinkIssued {
                link_id: id.clone(),
                expires_at: link.expires_at,
            },
        )?;
        Ok(LinkView {
            slug: slug.to_owned(),
            url: self.config.public_path(&format!("/c/{code}")).to_string(),
            id,
            expires_at: rfc3339(link.expires_at),
        })
    }
}
