//! The alarms about our OAuth clients, one per client (`[google]`'s, or an integration's
//! own): raised when Google condemns the client in a token check, cleared only by an
//! answer through that same client, each keeping the time it was first raised. What
//! `status`, the banner and the console show is all of them at once.

use std::collections::BTreeMap;

use super::health::{HealthAlarm, next_alarm};
use super::integration::Integration;

/// Whose OAuth client: an integration's own (`Some`), or `[google]`'s (`None`).
pub type Client = Option<Integration>;

/// The alarms raised, by client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAlarms {
    raised: BTreeMap<Client, HealthAlarm>,
}

impl ClientAlarms {
    /// Record what a check through `client` said of it (`None`: it works); `true` when its
    /// alarm was raised or cleared by this.
    pub fn set(&mut self, client: Client, now: Option<HealthAlarm>) -> bool {
        let was = self.raised.remove(&client);
        let changed = was.is_some() != now.is_some();
        if let Some(alarm) = next_alarm(was.as_ref(), now) {
            self.raised.insert(client, alarm);
        }
        changed
    }

    /// The clients under alarm, `[google]`'s first.
    pub fn clients(&self) -> Vec<Client> {
        self.raised.keys().copied().collect()
    }

    /// Every alarm as one: the reasons together (`[google]`'s first), since the first was
    /// raised; `None` when none is.
    pub fn combined(&self) -> Option<HealthAlarm> {
        let since = self.raised.values().map(|a| a.since.clone()).min()?;
        let reason = self
            .raised
            .values()
            .map(|a| a.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        Some(HealthAlarm { reason, since })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Integration::GoogleDrive;

    fn alarm(reason: &str, since: &str) -> Option<HealthAlarm> {
        Some(HealthAlarm {
            reason: reason.into(),
            since: since.into(),
        })
    }

    #[test]
    fn each_client_is_raised_and_cleared_on_its_own() {
        let mut a = ClientAlarms::default();
        assert!(a.set(
            Some(GoogleDrive),
            alarm("drive's client", "2026-01-02T00:00:00Z")
        ));
        // An answer through [google]'s client says nothing of Drive's.
        assert!(!a.set(None, None));
        assert_eq!(a.clients(), [Some(GoogleDrive)]);
        assert!(a.set(None, alarm("ours", "2026-01-03T00:00:00Z")));
        // Raised again, it keeps its first time.
        assert!(!a.set(
            Some(GoogleDrive),
            alarm("drive's client", "2026-01-04T00:00:00Z")
        ));
        assert_eq!(
            a.combined(),
            alarm("ours; drive's client", "2026-01-02T00:00:00Z")
        );
        assert!(a.set(Some(GoogleDrive), None));
        assert_eq!(a.clients(), [None]);
        assert_eq!(a.combined(), alarm("ours", "2026-01-03T00:00:00Z"));
        assert!(a.set(None, None));
        assert_eq!(a.combined(), None);
    }
}
