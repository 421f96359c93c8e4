//! `status`: what the answering process says about itself and the store.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::health::HealthAlarm;
use crate::domain::model::{ProvisionerState, TenantStatus};
use crate::store::{Cluster, StoreStats};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StatusView {
    pub tenants: usize,
    pub by_status: BTreeMap<TenantStatus, usize>,
    pub public_url: String,
    pub redirect_uri: String,
    pub data_dir: String,
    /// Which process answered.
    pub owner: String,
    #[serde(default)]
    pub owner_pid: u32,
    /// Whether that process serves the listener (it runs `serve` or a console).
    #[serde(default)]
    pub serving: bool,
    pub provisioner: String,
    #[serde(default)]
    pub provisioner_state: ProvisionerState,
    /// The last sequence number handed out (a `watch --since` starting point).
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub schema_version: u32,
    #[serde(default)]
    pub store: StoreStats,
    /// Faces subscribed to events now.
    #[serde(default)]
    pub subscribers: usize,
    /// OAuth flows started and not finished yet (customers mid-consent).
    #[serde(default)]
    pub pending_flows: usize,
    /// `enabled`, or `disabled: <what is missing>` (no Google client: links would lead
    /// nowhere, so none is issued).
    #[serde(default)]
    pub consent: String,
    /// How token checks run, or the alarm that paused them.
    #[serde(default)]
    pub health: String,
    /// Webhook receivers configured, and events waiting in the outbox for them.
    #[serde(default)]
    pub webhooks: usize,
    #[serde(default)]
    pub outbox: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_alarm: Option<HealthAlarm>,
    /// The owner's own set-up (Google client, public URL, Blaxel), for the set-up panel of
    /// a console attached to it; empty from an engine that does not own the runtime.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<SetupLine>,
    /// The nodes sharing the data, which one leads, and where the data is.
    #[serde(default)]
    pub cluster: Cluster,
}

/// One line of the set-up panel: a setting and what the owner found of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupLine {
    pub ok: bool,
    pub what: String,
    pub detail: String,
}
