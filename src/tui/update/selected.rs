//! Keys on the selected tenant that the console answers itself: copying its MCP URL (the
//! one of the tenant in view), scrolling its timeline, and `r` on a tenant that failed
//! before it consented (nothing to retry: the console says what can be done instead, as the
//! engine does for the CLI, never guessing at links it has not read); and how the files of
//! an export are named in its flash.

use super::effect::{call, flash};
use crate::domain::{before_consent, standing};
use crate::engine::api::Command;
use crate::tui::commands::{self, Action};
use crate::tui::layout;
use crate::tui::model::{Effect, Level, Model, Pending};

pub(super) fn act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Some(slug) = m.selected_slug() else {
        return;
    };
    match a {
        // Available only with a URL.
        Action::CopyMcpUrl => {
            if let (Some(url), Some(slug)) = (m.mcp_url(), m.in_view()) {
                fx.push(Effect::Copy {
                    text: url.to_owned(),
                    what: format!("the MCP URL of {slug}"),
                });
            }
        }
        Action::TimelineBack | Action::TimelineOn => {
            let now = match &m.detail.timeline_back {
                Some((s, n)) if *s == slug => *n,
                _ => 0,
            };
            let max = layout::timeline_max_back(m);
            let next = if a == Action::TimelineBack {
                (now + 1).min(max)
            } else {
                now.saturating_sub(1)
            };
            if a == Action::TimelineBack && max == 0 {
                flash(
                    m,
                    Level::Info,
                    format!("{slug}'s whole timeline is in view"),
                );
            }
            m.detail.timeline_back = Some((slug, next));
        }
        _ => {}
    }
}

/// `r` (or `:retry`): provisioning that stopped runs again. A tenant each failed integration
/// of which failed before its consent is answered here when its detail is held (until when its link works is in its
/// links, which the row does not hold); else the engine, which reads them, answers.
pub(super) fn retry(m: &mut Model, slug: String, fx: &mut Vec<Effect>) {
    let Some(row) = m.row_of(&slug).and_then(|i| m.table.rows.get(i)) else {
        return;
    };
    let before = standing::failed_before_consent(row.status, &row.standings());
    let (failure, reason) = (row.failure, row.reason.clone());
    let detail = m.detail.view.as_ref().filter(|d| d.slug == slug);
    let Some(d) = detail.filter(|_| before) else {
        call(m, fx, Pending::Retry(slug.clone()), Command::Retry { slug });
        return;
    };
    let until = before_consent::link_works_until(
        d.links
            .iter()
            .filter(|l| l.expires_ms > m.now)
            .map(|l| (l.state, l.expires_ms)),
    );
    let text = before_consent::retry_refusal(
        &slug,
        failure,
        reason.as_deref(),
        until,
        &commands::new_link_key(),
    );
    flash(m, Level::Info, text);
}

/// The engine refused a retry. Its refusal for a tenant that failed before it consented
/// names the CLI's way to a new link; the console says its own, as when it answers itself.
pub(super) fn retry_refused(m: &mut Model, slug: &str, message: &str) {
    let cli = format!("`mcp-onboard link {slug}`");
    if message.contains(&cli) {
        flash(
            m,
            Level::Info,
            message.replace(&cli, &commands::new_link_key()),
        );
    } else {
        flash(m, Level::Error, format!("✖ {message}"));
    }
}

/// Files written side by side, as one says them: `x.png and .svg in /d` for one name in two
/// kinds, else every path in full.
pub(super) fn files(paths: &[String]) -> String {
    if let [a, b] = paths
        && let (Some((stem_a, ext_a)), Some((stem_b, ext_b))) =
            (a.rsplit_once('.'), b.rsplit_once('.'))
        && stem_a == stem_b
    {
        // The file names first, then their folder: a long folder may need the next row.
        return match stem_a.rsplit_once('/') {
            Some((dir, name)) => format!("{name}.{ext_a} and .{ext_b} in {dir}"),
            None => format!("{stem_a}.{ext_a} and .{ext_b}"),
        };
    }
    paths.join(" and ")
}
