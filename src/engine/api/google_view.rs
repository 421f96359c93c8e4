//! What a tenant's view says of Google's errors (from what is stored): the fix of each
//! error its reasons name, and the signal of a customer who went on to Google and never
//! came back (a timeline entry of the flows' sweep), with the likely causes, each with its
//! fix ([`crate::domain::google_errors`]).

use super::TenantView;
use super::no_callback_view::NoCallbackView;
use crate::domain::google_errors::{FixContext, GoogleCode, GoogleFix, own_page_fixes};
use crate::domain::model::{EventKind, Integration, Tenant, TimelineEntry};
use crate::domain::no_callback::came_back_since;
use crate::time::rfc3339;

/// Timeline entries that say a callback came back.
fn came_back(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Consented
            | EventKind::ConsentFailed
            | EventKind::CallbackRefused
            | EventKind::ApprovalRequested
    )
}

/// The Google error of the last consent of `integration` (`None`: the tenant's first) on
/// the timeline `events` (oldest first), when it failed.
fn last_failed_consent(
    events: &[TimelineEntry],
    integration: Option<Integration>,
) -> Option<GoogleCode> {
    events
        .iter()
        .rev()
        .filter(|e| e.integration == integration)
        .find(|e| matches!(e.kind, EventKind::Consented | EventKind::ConsentFailed))
        .filter(|e| e.kind == EventKind::ConsentFailed)
        .and_then(|e| GoogleCode::in_reason(&e.detail))
}

/// The last no-callback entry of `events` (oldest first), unless a callback came back for
/// its integration after it: a timeline entry of one, or one `t` counted (a refused
/// sign-in may be counted and not kept on the timeline).
pub fn last_no_callback<'a>(t: &Tenant, events: &'a [TimelineEntry]) -> Option<&'a TimelineEntry> {
    let at = events
        .iter()
        .rposition(|e| e.kind == EventKind::NoCallback)?;
    let e = &events[at];
    let later = events[at + 1..]
        .iter()
        .any(|x| x.integration == e.integration && came_back(x.kind));
    (!later && !came_back_since(t, e.integration, e.at)).then_some(e)
}

impl TenantView {
    /// Add what the view says of Google's errors: the fixes of those the reasons of `t`
    /// name, and the no-callback signal of its timeline `events`; fixes name
    /// `redirect_uri`, the one this deployment sends, and each integration's OAuth client
    /// (`client_id`).
    pub fn with_google_help(
        mut self,
        t: &Tenant,
        events: &[TimelineEntry],
        redirect_uri: &str,
        client_id: &dyn Fn(Integration) -> String,
    ) -> Self {
        let ids: Vec<(Integration, String)> =
            Integration::all().map(|i| (i, client_id(i))).collect();
        let id_of = |i: Integration| {
            ids.iter()
                .find(|(x, _)| *x == i)
                .map_or("", |(_, id)| id.as_str())
        };
        let cx = |integration| FixContext {
            slug: &t.slug,
            integration,
            redirect_uri,
            client_id: id_of(integration),
        };
        let reasons = std::iter::once((None, t.integration, t.reason.as_deref())).chain(
            t.added
                .iter()
                .map(|a| (Some(a.integration), a.integration, a.reason.as_deref())),
        );
        // The reason names the error of a failed first consent; a failed re-consent (an
        // earlier consent is kept) leaves the reason alone: its timeline entry names it.
        self.google_fixes = reasons
            .filter_map(|(about, integration, reason)| {
                let code = reason
                    .and_then(GoogleCode::in_reason)
                    .or_else(|| last_failed_consent(events, about))?;
                Some(GoogleFix::of(&code, about, &cx(integration)))
            })
            .collect();
        self.no_callback = last_no_callback(t, events).map(|e| NoCallbackView {
            at: rfc3339(e.at),
            at_ms: e.at,
            detail: e.detail.clone(),
            integration: e.integration,
            causes: own_page_fixes(&cx(e.integration.unwrap_or(t.integration))),
        });
        self
    }
}

#[cfg(test)]
#[path = "google_view_tests.rs"]
mod tests;
