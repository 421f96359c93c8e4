//! The engine handle: runs Commands, and is the one commit point of every change.
//!
//! [`Engine::commit`] is the only path to the store's writer: an operation reads what it
//! needs through the transaction, applies a pure transition, and writes the record, its
//! timeline entry and any secret together; the store then publishes what changed. Reads go
//! to the in-memory index (lists, counts, the consent pages) or to a blocking thread.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::api::{
    Command, LinkView, ListQuery, Reply, Skipped, SortKey, StatusView, TenantSummary, TenantView,
};
use super::error::EngineError;
use super::events::Subscription;
use crate::config::Config;
use crate::domain::actor::{Actor, Worker};
use crate::domain::brief::Brief;
use crate::domain::lifecycle::{self, Transition};
use crate::domain::model::{ConsentLink, ProvisionerState, Tenant, TenantStatus};
use crate::google::GoogleOAuth;
use crate::store::{Durability, Store, Tx};
use crate::time::{add, now_ms, rfc3339};

pub const MIN_LINK_TTL: Duration = Duration::from_secs(60);
pub const MAX_LINK_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
pub const FLOW_TTL: Duration = Duration::from_secs(10 * 60);
/// 16 random bytes = 128 bits, base64url without padding.
pub const LINK_CODE_LEN: usize = 22;
/// 32 random bytes, base64url without padding.
pub const STATE_LEN: usize = 43;

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // ThreadRng: a ChaCha CSPRNG seeded (and reseeded) from the OS; no syscall per token.
    rand::thread_rng().fill_bytes(&mut buf);
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

/// Which process this engine runs in, as `status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The owner serving the listener (`serve`, or a console that owns the runtime).
    Serving,
    /// A short-lived command that opened the database itself.
    Direct,
}

tokio::task_local! {
    /// Who the command under way is executed for.
    static ACTOR: Option<crate::domain::audit::Operator>;
}

pub struct Engine {
    pub(super) store: Store,
    pub(super) config: Arc<Config>,
    pub(super) google: Option<GoogleOAuth>,
    pub(super) google_missing: Option<String>,
    wakeup: tokio::sync::Notify,
    metrics: crate::metrics::Metrics,
    /// The Blaxel client, once provisioning runs here (reconcile uses it).
    pub(super) blaxel: std::sync::OnceLock<crate::blaxel::BlaxelClient>,
    /// What the owner found of its set-up when it started (reported by `status`).
    setup: std::sync::OnceLock<Vec<super::api::SetupLine>>,
    role: Role,
    /// Imports being staged (see `import`).
    pub(super) imports: super::import::Staging,
}

impl Engine {
    /// Build the engine. Missing Google credentials do not stop it (tenants and links can
    /// still be managed); consent flows then fail with a clear reason.
    pub fn new(store: Store, config: Arc<Config>, role: Role) -> Result<Self, EngineError> {
        let (google, google_missing) = match config.google_credentials() {
            Ok(creds) => {
                let g = GoogleOAuth::new(&config.google, &creds, &config.redirect_uri())
                    .map_err(|e| EngineError::BadRequest(e.to_string()))?;
                (Some(g), None)
            }
            Err(e) => (None, Some(e.to_string())),
        };
        if !config.webhooks.is_empty() {
            store.enable_outbox();
        }
        Ok(Self {
            store,
            config,
            google,
            google_missing,
            wakeup: tokio::sync::Notify::new(),
            metrics: crate::metrics::Metrics::default(),
            blaxel: std::sync::OnceLock::new(),
            setup: std::sync::OnceLock::new(),
            role,
            imports: Default::default(),
        })
    }

    /// Open the database in `dir` (on a blocking thread) and build the engine on it.
    pub async fn open(
        dir: &std::path::Path,
        key: &crate::store::KeySource,
        config: Arc<Config>,
        role: Role,
    ) -> Result<Arc<Self>, EngineError> {
        let (dir, key) = (dir.to_owned(), key.clone());
        let store = tokio::task::spawn_blocking(move || Store::open(&dir, &key))
            .await
            .map_err(|e| EngineError::Unavailable(format!("opening the database: {e}")))??;
        let engine = Arc::new(Self::new(store, config, role)?);
        // An import a crash left decided is written before anything else.
        engine.finish_imports().await;
        Ok(engine)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Provisioning runs here with this client: reconcile may use it too.
    pub fn set_blaxel(&self, client: crate::blaxel::BlaxelClient) {
        let _ = self.blaxel.set(client);
    }

    /// The owner's set-up, found once at its start: `status` carries it to attached faces.
    pub fn set_setup(&self, lines: Vec<super::api::SetupLine>) {
        let _ = self.setup.set(lines);
    }

    /// What `/metrics` counts.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// Why consent cannot work now (no Google client), if it cannot.
    pub fn consent_disabled(&self) -> Option<&str> {
        self.google_missing.as_deref()
    }

    /// The one commit point: run `f` on the store's writer, in one transaction with the
    /// batch it joins; what it writes is published once committed (for `Durable`, once
    /// flushed too).
    ///
    /// The operation is queued when this is called; dropping the future leaves it to run
    /// (for writes nobody waits for).
    pub(in crate::engine) fn commit<R, F>(
        &self,
        durability: Durability,
        f: F,
    ) -> impl Future<Output = Result<R, EngineError>> + Send + 'static
    where
        R: Send + 'static,
        F: Fn(&mut dyn Tx) -> Result<R, EngineError> + Send + 'static,
    {
        // An operator's command: its events are audited with who asked.
        let actor = match ACTOR.try_with(Clone::clone).ok().flatten() {
            Some(o) => Actor::Operator(o),
            None => Actor::System(Worker::Owner),
        };
        self.store.commit(&actor, durability, f)
    }

    /// Execute an operator's command, audited with who asked (the control socket's peer, or
    /// this process).
    pub async fn execute_by(
        &self,
        command: Command,
        actor: crate::domain::audit::Operator,
    ) -> Result<Reply, EngineError> {
        if command.is_write() {
            let what = serde_json::to_value(&command)
                .ok()
                .and_then(|v| v.get("command").and_then(|c| c.as_str()).map(str::to_owned))
                .unwrap_or_default();
            let tenant = command.tenant().map(str::to_owned);
            let detail = serde_json::to_string(&command).unwrap_or_default();
            let a = Actor::Operator(actor.clone());
            self.store
                .commit(&a, Durability::Lazy, move |tx| {
                    tx.append_audit("command", &what, tenant.as_deref(), &detail)?;
                    Ok::<_, EngineError>(())
                })
                .await?;
        }
        ACTOR.scope(Some(actor), self.execute(command)).await
    }

    /// Stage a flow for a repeated Continue (see [`crate::store::NodeLocal::stage_flow`]).
    pub(super) fn stage_flow(
        &self,
        state_hash: &[u8],
        flow: crate::domain::model::PendingFlow,
        sealed: String,
    ) {
        self.store.node().stage_flow(state_hash, flow, sealed);
    }

    /// Count a repeated open or Continue of a live link (see
    /// [`crate::store::NodeLocal::count_again`]).
    pub(super) fn count_again(&self, hash: &[u8], continued: bool) -> bool {
        self.store.node().count_again(hash, continued)
    }

    /// Queue an operation nobody waits for. It is queued now if the queue has room, and
    /// otherwise as soon as it has: it is never dropped. Failures are logged.
    pub(super) fn commit_detached<F>(&self, what: &'static str, f: F)
    where
        F: Fn(&mut dyn Tx) -> Result<(), EngineError> + Send + 'static,
    {
        let fut = self.commit(Durability::Lazy, f);
        tokio::spawn(async move {
            if let Err(e) = fut.await {
                tracing::warn!(error = %e, what, "a queued write failed");
            }
        });
    }

    /// Why the store stopped taking writes (a disk error), if it has.
    pub fn store_failure(&self) -> Option<String> {
        self.store.failure()
    }

    /// Tests: pretend the disk is stuck for `d`.
    #[doc(hidden)]
    pub fn stall_writer_for_tests(&self, d: Duration) {
        self.store.stall_for_tests(d);
    }

    /// Everything acknowledged so far is on disk when this returns.
    pub async fn sync(&self) -> Result<(), EngineError> {
        Ok(self.store.sync().await?)
    }

    /// Finish queued writes, flush and stop the writer (waits at most `grace`).
    pub async fn shutdown(&self, grace: Duration) -> Result<(), EngineError> {
        Ok(self.store.stop(grace).await?)
    }

    /// Events from now on (or, with `since`, stored entries after it first).
    pub fn subscribe(&self, since: Option<u64>) -> Subscription {
        Subscription::new(&self.store, since)
    }

    /// Tell the provisioner that a job may be due now.
    pub fn wake_provisioner(&self) {
        self.wakeup.notify_one();
    }

    pub fn provisioner_wakeup(&self) -> &tokio::sync::Notify {
        &self.wakeup
    }

    pub fn provisioner_state(&self) -> ProvisionerState {
        self.store.node().published().provisioner()
    }

    /// Record and publish the provisioner's state (published only when it changed).
    pub async fn set_provisioner_state(&self, state: ProvisionerState) {
        if !self.store.node().published().set_provisioner(&state) {
            return;
        }
        let res = self
            .commit(Durability::Lazy, move |tx| {
                tx.publish_provisioner(state.clone())?;
                Ok(())
            })
            .await;
        if let Err(e) = res {
            tracing::debug!(error = %e, "provisioner state not published");
        }
    }

    pub async fn execute(&self, command: Command) -> Result<Reply, EngineError> {
        match command {
            Command::AddTenant(input) => {
                let (tenant, event) = lifecycle::new_tenant(&input, now_ms())?;
                let slug = tenant.slug.clone();
                self.commit(Durability::Durable, move |tx| {
                    let slug = tenant.slug.clone();
                    if tx.insert_tenant(tenant.clone(), event.clone())? {
                        Ok(())
                    } else {
                        Err(EngineError::Exists(slug))
                    }
                })
                .await?;
                self.show(&slug).await
            }
            Command::ListTenants { query } => {
                // A long list is CPU work of tens of milliseconds: not on an async worker.
                let snapshot = self.store.node().briefs_after(query.after.as_deref());
                if snapshot.len() < 2_000 {
                    Ok(list_briefs(snapshot, &query))
                } else {
                    tokio::task::spawn_blocking(move || list_briefs(snapshot, &query))
                        .await
                        .map_err(|e| EngineError::Unavailable(format!("listing tenants: {e}")))
                }
            }
            Command::ShowTenant { slug } => self.show(&slug).await,
            Command::IssueLink {
                slug,
                ttl_secs,
                replace,
            } => Ok(Reply::Link(
                self.issue_link(&slug, Duration::from_secs(ttl_secs), replace)
                    .await?,
            )),
            Command::Status => Ok(Reply::Status(Box::new(self.status()))),
            Command::RevokeLinks { slug } => {
                self.revoke_links(&slug).await?;
                self.show(&slug).await
            }
            Command::EditTenant { slug, edit } => {
                let s = slug.clone();
                self.commit(Durability::Durable, move |tx| {
                    let cur = tx
                        .tenant(&s)?
                        .ok_or_else(|| EngineError::UnknownTenant(s.clone()))?;
                    crate::domain::transition::ensure_active(&cur)?;
                    let (next, event) = lifecycle::edit_tenant(&cur, &edit, tx.now())?;
                    if event.is_some() {
                        tx.put_tenant(next, event)?;
                    }
                    Ok(())
                })
                .await?;
                self.show(&slug).await
            }
            Command::Retry { slug } => self.retry(&slug).await,
            Command::RemoveTenant { slug } => {
                let s = slug.clone();
                self.commit(Durability::Durable, move |tx| {
                    let cur = tx
                        .tenant(&s)?
                        .ok_or_else(|| EngineError::UnknownTenant(s.clone()))?;
                    crate::domain::transition::ensure_removable(&cur)?;
                    Ok(tx.remove_tenant(&s)?)
                })
                .await?;
                Ok(Reply::Removed { slug })
            }
            Command::RetryAllFailed { slugs } => self.retry_all_failed(slugs).await,
            Command::CheckHealth { slug } => self.health_command(slug).await,
            Command::Approve { slug } => self.approve(&slug).await,
            Command::Offboard { slugs } => self.offboard(slugs).await,
            Command::Audit { tenant, since_ms } => Ok(Reply::Audit {
                records: self
                    .store
                    .read(move |s| s.audit_records(tenant.as_deref(), since_ms))
                    .await?,
            }),
            Command::AuditVerify { expect } => self.audit_verify(expect).await,
            Command::AuditHead => self.audit_head().await,
            Command::Reconcile => Ok(Reply::Findings {
                findings: self.reconcile().await?,
            }),
            Command::ReconcileFix { slugs } => {
                let fixed = self.reconcile_fix(slugs).await?;
                Ok(Reply::Retried {
                    retried: fixed,
                    skipped: Vec::new(),
                })
            }
            Command::DeleteOrphan { what } => {
                self.delete_orphan(&what).await?;
                Ok(Reply::Findings {
                    findings: self.reconcile().await?,
                })
            }
            Command::ImportTenants { tenants } => self.import_all(tenants).await,
            Command::ImportStage { import, tenants } => self.import_stage(import, tenants),
            Command::ImportCommit { import, rows } => self.import_commit(import, rows).await,
            Command::ImportDiscard { import } => Ok(self.import_discard(&import)),
            Command::LinkAllNew { ttl_secs } => {
                self.link_all_new(Duration::from_secs(ttl_secs)).await
            }
            Command::WebhookTest => {
                if self.config.webhooks.is_empty() {
                    return Err(EngineError::BadRequest(
                        "no webhook is configured: add a [[webhook]] with url and secret to the config file".into(),
                    ));
                }
                Ok(Reply::WebhookTest {
                    deliveries: self.webhook_test().await,
                })
            }
            Command::Backup { path } => {
                let p = std::path::PathBuf::from(&path);
                if !p.is_absolute() {
                    return Err(EngineError::BadRequest(format!(
                        "the backup path {path:?} must be absolute"
                    )));
                }
                // A consistent snapshot of everything committed.
                let summary = self.store.backup(p).await?;
                Ok(Reply::BackedUp { path, summary })
            }
            Command::Reject { slug } => self.reject(&slug).await,
        }
    }

    /// Retry every failed tenant whose provisioning stopped, a batch per commit; one that
    /// changed meanwhile and cannot be retried is skipped with the reason.
    async fn retry_all_failed(&self, only: Vec<String>) -> Result<Reply, EngineError> {
        const BATCH: usize = 500;
        let only: std::collections::HashSet<String> = only.into_iter().collect();
        let failed: Vec<String> = match self.list(&ListQuery {
            status: vec![TenantStatus::Failed],
            ..Default::default()
        }) {
            // Those that failed before consent have no job to run again: a new link it is.
            Reply::Tenants { tenants, .. } => tenants
                .into_iter()
                .filter(|t| t.step == Some(crate::domain::model::ProvisionStep::Stopped))
                .filter(|t| only.is_empty() || only.contains(&t.slug))
                .map(|t| t.slug)
                .collect(),
            _ => Vec::new(),
        };
        let mut retried = Vec::new();
        let mut skipped = Vec::new();
        for batch in failed.chunks(BATCH) {
            let batch = batch.to_vec();
            let (ok, not) = self
                .commit(Durability::Durable, move |tx| {
                    let mut ok = Vec::new();
                    let mut not = Vec::new();
                    for slug in batch.iter().cloned() {
                        match apply_in(tx, &slug, &Transition::RetryRequested) {
                            Ok(_) => ok.push(slug),
                            // Gone or changed since the list: nothing to say.
                            Err(EngineError::UnknownTenant(_)) => {}
                            Err(e) => not.push(Skipped {
                                slug,
                                reason: e.to_string(),
                            }),
                        }
                    }
                    Ok((ok, not))
                })
                .await?;
            retried.extend(ok);
            skipped.extend(not);
        }
        if !retried.is_empty() {
            self.wake_provisioner();
        }
        Ok(Reply::Retried { retried, skipped })
    }

    /// Tenants from the in-memory index: filter, sort, page. The index is held only to
    /// take shared handles of the briefs; the work is done after.
    pub fn list(&self, q: &ListQuery) -> Reply {
        let snapshot = self.store.node().briefs_after(q.after.as_deref());
        list_briefs(snapshot, q)
    }

    pub(super) async fn show(&self, slug: &str) -> Result<Reply, EngineError> {
        // Everything queued before (an open counted a moment ago) is applied first.
        self.store.applied().await?;
        let s = slug.to_owned();
        let (tenant, links, events) = self
            .store
            .read(move |st| {
                let t = st.tenant(&s)?;
                let links = st.links_for(&s)?;
                let events = st.timeline(&s)?;
                Ok((t, links, events))
            })
            .await?;
        let tenant = tenant.ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))?;
        let mut view = TenantView::of(&tenant, &links, &events, now_ms());
        view.token = super::health::token_view(
            tenant.health.as_ref(),
            tenant.consented_at,
            self.config.google.app_in_testing,
        );
        if let (Some(v), Some(g)) = (view.token.as_mut(), tenant.google.as_ref()) {
            v.account_tokens_issued = self.tokens_issued_by(&g.sub, &tenant).await;
        }
        Ok(Reply::Tenant(Box::new(view)))
    }

    fn status(&self) -> StatusView {
        let (tenants, by_status) = self.store.node().counts();
        let p = self.provisioner_state();
        StatusView {
            tenants,
            by_status,
            public_url: self.config.listener.public_url.to_string(),
            redirect_uri: self.config.redirect_uri().to_string(),
            data_dir: self.store.dir().display().to_string(),
            owner: format!("process {}", std::process::id()),
            owner_pid: std::process::id(),
            serving: self.role == Role::Serving,
            provisioner: p.describe(),
            provisioner_state: p,
            seq: self.store.last_seq(),
            schema_version: crate::store::SCHEMA_VERSION,
            store: self.store.stats(),
            subscribers: self.store.subscribers(),
            pending_flows: self.store.node().pending_flows(),
            consent: self.describe_consent(),
            health: self.describe_health(),
            health_alarm: self.health_alarm(),
            webhooks: self.config.webhooks.len(),
            outbox: self.store.outbox_len(),
            setup: self.setup.get().cloned().unwrap_or_default(),
        }
    }

    /// Refresh tokens issued to our client by the account `sub`, over every tenant it holds
    /// a consent for (`tenant` is one of them, read already).
    async fn tokens_issued_by(&self, sub: &str, tenant: &Tenant) -> u32 {
        let others: Vec<String> = self
            .store
            .node()
            .consents_by(sub)
            .into_iter()
            .filter(|s| *s != tenant.slug)
            .collect();
        let mine = tenant.tokens_by_current_account();
        if others.is_empty() {
            return mine;
        }
        let theirs = self
            .store
            .read(move |st| {
                let mut n = 0u32;
                for s in others {
                    if let Some(t) = st.tenant(&s)? {
                        n = n.saturating_add(t.tokens_by_current_account());
                    }
                }
                Ok(n)
            })
            .await
            .unwrap_or(0);
        mine.saturating_add(theirs)
    }

    /// How token checks run: the interval, or the alarm that paused them.
    pub fn describe_health(&self) -> String {
        if let Some(a) = self.health_alarm() {
            return format!("ALARM since {}: {}", a.since, a.reason);
        }
        if self.google.is_none() {
            return "off: no Google client".into();
        }
        match (self.config.health.interval, self.role) {
            (Some(d), Role::Serving) => format!(
                "every {} (jittered); `mcp-onboard health` checks now",
                crate::time::short_duration(d)
            ),
            (Some(d), Role::Direct) => format!(
                "every {} while an owner runs; `mcp-onboard health` checks now",
                crate::time::short_duration(d)
            ),
            (None, _) => {
                "periodic checks off (health.interval = off); `mcp-onboard health` checks now"
                    .into()
            }
        }
    }

    /// `enabled`, or `disabled: <why>`.
    pub fn describe_consent(&self) -> String {
        match self.consent_disabled() {
            None => "enabled".into(),
            Some(why) => format!("disabled: {why}"),
        }
    }

    /// Apply a lifecycle transition through the commit point and record its event.
    pub async fn transition(
        &self,
        slug: &str,
        t: Transition,
        durability: Durability,
    ) -> Result<Tenant, EngineError> {
        let slug = slug.to_owned();
        self.commit(durability, move |tx| apply_in(tx, &slug, &t))
            .await
    }

    /// `reconcile --fix`: hand these tenants (all with findings when empty) back to the
    /// provisioner, which makes what is missing or wrong again.
    async fn reconcile_fix(&self, slugs: Vec<String>) -> Result<Vec<String>, EngineError> {
        let slugs = if slugs.is_empty() {
            let mut s: Vec<String> = self
                .reconcile()
                .await?
                .into_iter()
                .filter_map(|f| f.slug)
                .collect();
            s.sort();
            s.dedup();
            s
        } else {
            slugs
        };
        let mut fixed = Vec::new();
        for slug in slugs {
            self.transition(&slug, Transition::Reprovision, Durability::Durable)
                .await?;
            fixed.push(slug);
        }
        self.wake_provisioner();
        Ok(fixed)
    }

    /// A link for every tenant that never consented and has no live link (not those
    /// leaving, or waiting for an approval), issued a batch per commit.
    async fn link_all_new(&self, ttl: Duration) -> Result<Reply, EngineError> {
        self.may_issue_links(ttl)?;
        let slugs: Vec<String> = {
            let node = self.store.node();
            let live = node.tenants_with_live_links(now_ms());
            node.briefs_after(None)
                .iter()
                .filter(|b| {
                    b.consent_sub.is_none()
                        && b.step.is_none()
                        && matches!(
                            b.status,
                            TenantStatus::Created
                                | TenantStatus::LinkIssued
                                | TenantStatus::LinkOpened
                                | TenantStatus::Failed
                        )
                        && !live.contains(&b.slug)
                })
                .map(|b| b.slug.clone())
                .collect()
        };
        let mut links = Vec::with_capacity(slugs.len());
        for batch in slugs.chunks(500) {
            let made: Vec<(String, String, [u8; 32], String)> = batch
                .iter()
                .map(|s| {
                    let code = random_token(16);
                    let hash = sha256(&code);
                    let id: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
                    (s.clone(), code, hash, id)
                })
                .collect();
            let for_tx: Vec<(String, [u8; 32], String)> = made
                .iter()
                .map(|(s, _, h, id)| (s.clone(), *h, id.clone()))
                .collect();
            let expires_at = self
                .commit(Durability::Durable, move |tx| {
                    let now = tx.now();
                    let expires_at = add(now, ttl);
                    for (slug, hash, id) in &for_tx {
                        apply_in(
                            tx,
                            slug,
                            &Transition::LinkIssued {
                                link_id: id.clone(),
                                expires_at,
                            },
                        )?;
                        tx.put_link(hash, ConsentLink::new(slug, id, now, expires_at))?;
                    }
                    Ok(expires_at)
                })
                .await?;
            for (slug, code, _, id) in made {
                links.push(LinkView {
                    slug,
                    url: self.config.public_path(&format!("/c/{code}")).to_string(),
                    id,
                    expires_at: rfc3339(expires_at),
                    expires_ms: expires_at,
                    // Only tenants with no live link get one.
                    ..Default::default()
                });
            }
        }
        Ok(Reply::Links { links })
    }

    /// Links of this lifetime may be issued now: the lifetime is in range, and consent
    /// works (a link would otherwise lead the customer nowhere).
    pub(super) fn may_issue_links(&self, ttl: Duration) -> Result<(), EngineError> {
        if !(MIN_LINK_TTL..=MAX_LINK_TTL).contains(&ttl) {
            return Err(EngineError::BadRequest(format!(
                "link lifetime {} is out of range: use between 1m and 30d",
                crate::time::short_duration(ttl)
            )));
        }
        if let Some(why) = self.consent_disabled() {
            return Err(EngineError::Unavailable(format!(
                "consent is disabled: {why}; a link would lead the customer nowhere, so none \
                 was issued (`mcp-onboard config check` says what is missing)"
            )));
        }
        Ok(())
    }

    /// A deploy poll that found the server still on its way: the job's bookkeeping moves
    /// on, and a timeline entry is written only when Blaxel's status changed.
    pub async fn deploy_polled(
        &self,
        slug: &str,
        generation: u64,
        status: String,
        gap_ms: i64,
        next_attempt_at: crate::time::Millis,
    ) -> Result<(), EngineError> {
        let slug = slug.to_owned();
        self.commit(Durability::Lazy, move |tx| {
            let cur = tx
                .tenant(&slug)?
                .ok_or_else(|| EngineError::UnknownTenant(slug.clone()))?;
            let (next, event) = lifecycle::deploy_polled(
                &cur,
                generation,
                &status,
                gap_ms,
                next_attempt_at,
                tx.now(),
            )?;
            tx.put_tenant(next, event)?;
            Ok(())
        })
        .await
    }

    /// Drop flows and tombstones older than `before`, and let the index forget links that
    /// expired; returns how many records went.
    pub async fn sweep(&self, before: crate::time::Millis) -> Result<usize, EngineError> {
        self.commit(Durability::Lazy, move |tx| {
            let n = tx.sweep_flows(before)?;
            tx.sweep_live_links()?;
            Ok(n)
        })
        .await
    }

    /// Tests and tools: run an arbitrary operation through the commit point.
    #[doc(hidden)]
    pub async fn commit_for_tests<R, F>(&self, f: F) -> Result<R, EngineError>
    where
        R: Send + 'static,
        F: Fn(&mut dyn Tx) -> Result<R, EngineError> + Send + 'static,
    {
        self.commit(Durability::Durable, f).await
    }
}

/// Filter, sort and page a snapshot of the index.
fn list_briefs(snapshot: Vec<Arc<Brief>>, q: &ListQuery) -> Reply {
    let needle = q.text.as_deref().map(str::to_lowercase).unwrap_or_default();
    let keep = |b: &&Arc<Brief>| {
        (q.status.is_empty() || q.status.contains(&b.status)) && b.matches(&needle)
    };
    let limit = q.limit.unwrap_or(usize::MAX);
    let (total, rows): (usize, Vec<TenantSummary>) = if q.sort == SortKey::Slug {
        let mut total = 0;
        let mut rows = Vec::new();
        for b in snapshot.iter().filter(keep) {
            if total >= q.offset && rows.len() < limit {
                rows.push(TenantSummary::of_brief(b));
            }
            total += 1;
        }
        (total, rows)
    } else {
        let mut hits: Vec<&Arc<Brief>> = snapshot.iter().filter(keep).collect();
        match q.sort {
            SortKey::Name => {
                let mut keyed: Vec<(String, &Arc<Brief>)> = hits
                    .into_iter()
                    .map(|b| (b.display_name.to_lowercase(), b))
                    .collect();
                keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.slug.cmp(&b.1.slug)));
                hits = keyed.into_iter().map(|(_, b)| b).collect();
            }
            SortKey::Status => {
                hits.sort_by(|a, b| a.status.cmp(&b.status).then_with(|| a.slug.cmp(&b.slug)))
            }
            SortKey::Changed => hits.sort_by(|a, b| {
                b.updated_at
                    .cmp(&a.updated_at)
                    .then_with(|| a.slug.cmp(&b.slug))
            }),
            SortKey::Slug => {}
        }
        let total = hits.len();
        let rows = hits
            .into_iter()
            .skip(q.offset)
            .take(limit)
            .map(|b| TenantSummary::of_brief(b))
            .collect();
        (total, rows)
    };
    Reply::Tenants {
        tenants: rows,
        total,
    }
}

/// Inside an operation: apply `t` to the tenant and write it with its event.
pub(super) fn apply_in(tx: &mut dyn Tx, slug: &str, t: &Transition) -> Result<Tenant, EngineError> {
    let cur = tx
        .tenant(slug)?
        .ok_or_else(|| EngineError::UnknownTenant(slug.to_owned()))?;
    let (next, event) = lifecycle::apply(&cur, t, tx.now())?;
    tx.put_tenant(next.clone(), Some(event))?;
    Ok(next)
}
