//! What the provisioner is doing (running, standing by, disabled; its calls in flight and
//! jobs waiting), as every face shows it.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// What the provisioner is doing, as every face shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProvisionerState {
    /// Whether the provisioner runs in the owning process.
    pub running: bool,
    /// Why it does not run (no Blaxel credentials, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<String>,
    /// It waits on this node: another node leads the background work.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub following: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// Blaxel calls allowed in flight at once.
    #[serde(default)]
    pub concurrency: usize,
    /// Blaxel calls in flight now.
    #[serde(default)]
    pub in_flight: usize,
    /// Jobs with work left (due now or later).
    #[serde(default)]
    pub waiting: usize,
    /// Jobs waiting after a failed attempt.
    #[serde(default)]
    pub retrying: usize,
    /// Whether Blaxel answered the last call (`None` before the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blaxel_reachable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_call_at: Option<Millis>,
}

impl ProvisionerState {
    /// One line for `status` and banners.
    pub fn describe(&self) -> String {
        if let Some(why) = &self.disabled {
            return format!("disabled: {why}");
        }
        if !self.running {
            return "not running (only the process that serves runs it)".into();
        }
        if self.following {
            return "standing by: another node leads the background work".into();
        }
        let reach = match self.blaxel_reachable {
            Some(true) => ", Blaxel answering",
            Some(false) => ", Blaxel NOT answering",
            None => "",
        };
        format!(
            "running: workspace {} at {}, {} calls at once; {} in flight, {} waiting, {} retrying{reach}",
            self.workspace.as_deref().unwrap_or("?"),
            self.api_url.as_deref().unwrap_or("?"),
            self.concurrency,
            self.in_flight,
            self.waiting,
            self.retrying,
        )
    }
}
