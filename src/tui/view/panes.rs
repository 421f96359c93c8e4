//! The lower panes of the tenants screen: the selected tenant (timeline, link, scopes,
//! MCP URL, last error) and the provisioning panel (its job, and the provisioner overall).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{ago, countdown};
use crate::domain::model::LinkState;
use crate::tui::model::Model;
use crate::tui::style;

pub fn lower(m: &Model, f: &mut Frame, area: Rect) {
    if area.height < 3 {
        return;
    }
    let [left, right] = area.layout(&Layout::horizontal([
        Constraint::Percentage(55),
        Constraint::Percentage(45),
    ]));
    detail(m, f, left);
    provisioning(m, f, right);
}

fn kv<'a>(m: &Model, k: &'a str, v: impl Into<Span<'a>>) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{k:<9}"), m.theme.dim()),
        v.into(),
    ])
}

fn detail(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let Some(d) = m
        .detail
        .as_ref()
        .filter(|d| Some(d.slug.as_str()) == m.selected_slug().as_deref())
    else {
        let text = if m.visible.is_empty() { "" } else { "…" };
        f.render_widget(
            Paragraph::new(text).block(Block::bordered().title(" Tenant ")),
            area,
        );
        return;
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(style::status_text(d.status), t.status(d.status)),
        Span::raw(format!("  {}", d.display_name)),
    ])];
    if let Some(r) = &d.reason {
        lines.push(Line::from(Span::styled(format!("✖ {r}"), t.error())));
    }
    match (&d.google_email, &d.expected_account) {
        (Some(e), _) => lines.push(kv(m, "account", e.clone())),
        (None, Some(x)) => lines.push(kv(
            m,
            "expects",
            match x {
                crate::domain::model::ExpectedAccount::Email(e) => e.clone(),
                crate::domain::model::ExpectedAccount::Domain(dm) => format!("an account of {dm}"),
            },
        )),
        _ => {}
    }
    if let Some(p) = &d.pending_consent {
        lines.push(kv(
            m,
            "waiting",
            Span::styled(
                format!("◆ consent by {}: A approves, X rejects", p.account),
                t.group(style::Group::Approval),
            ),
        ));
    }
    if let Some(tok) = &d.token {
        use crate::domain::health::Health;
        let expiry = tok
            .testing_expires_ms
            .map(|at| format!(", Testing app: ends {}", countdown(m.now, at)))
            .unwrap_or_default();
        let (text, style) = match tok.health {
            Some(Health::Healthy) => (format!("✔ healthy{expiry}"), t.ok()),
            Some(Health::NeedsReconsent) => (
                "✖ refused by Google: needs a new consent".to_owned(),
                t.error(),
            ),
            Some(Health::Transient) => (format!("… no verdict yet (Google busy){expiry}"), t.dim()),
            Some(Health::ClientError) => ("✖ our OAuth client was refused".to_owned(), t.error()),
            None => (format!("not checked yet (h checks){expiry}"), t.dim()),
        };
        lines.push(kv(m, "token", Span::styled(text, style)));
    }
    if let Some(l) = d
        .links
        .iter()
        .rev()
        .find(|l| l.state == LinkState::Active)
        .or(d.links.last())
    {
        let when = if l.state == LinkState::Active {
            format!("expires {}", countdown(m.now, l.expires_ms))
        } else {
            l.state.as_str().to_owned()
        };
        lines.push(kv(
            m,
            "link",
            format!(
                "{} {when}, opened {}×, continued {}×",
                l.id, l.open_count, l.continue_count
            ),
        ));
    }
    if !d.granted_scopes.is_empty() {
        let missing =
            crate::domain::consent::missing_scopes(&d.requested_scopes, &d.granted_scopes);
        let text = if missing.is_empty() {
            format!(
                "✔ {} of {} granted",
                d.requested_scopes.len(),
                d.requested_scopes.len()
            )
        } else {
            format!("✖ missing {}", missing.join(" "))
        };
        lines.push(kv(m, "scopes", text));
    }
    if let Some(u) = &d.mcp_url {
        lines.push(kv(m, "MCP URL", Span::styled(u.clone(), t.ok())));
    }
    let room = usize::from(area.height.saturating_sub(2)).saturating_sub(lines.len());
    let skip = d.events.len().saturating_sub(room);
    for e in d.events.iter().skip(skip) {
        let at = e.at.get(11..19).unwrap_or(&e.at).to_owned();
        lines.push(Line::from(vec![
            Span::styled(format!("{at}  "), t.dim()),
            Span::raw(e.detail.clone()),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" {} ", d.slug)))
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn provisioning(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let mut lines = Vec::new();
    if let Some(p) = m
        .detail
        .as_ref()
        .filter(|d| Some(d.slug.as_str()) == m.selected_slug().as_deref())
        .and_then(|d| d.provisioning.as_ref())
    {
        let next = p
            .next_attempt_ms
            .filter(|_| p.step.is_active())
            .map(|n| format!(", next {}", countdown(m.now, n)))
            .unwrap_or_default();
        lines.push(kv(m, "step", format!("{}{next}", p.step.as_str())));
        lines.push(kv(m, "attempts", p.attempts.to_string()));
        lines.push(kv(m, "conn", p.connection_name.clone()));
        let status = match (&p.blaxel_status, p.blaxel_status_ms) {
            (Some(s), Some(at)) => format!("{s} ({})", ago(m.now, at)),
            (Some(s), None) => s.clone(),
            _ => "-".into(),
        };
        lines.push(kv(m, "server", format!("{}  {status}", p.function_name)));
        if let Some(e) = &p.last_error {
            let failed = p
                .failed_step
                .map(|s| format!(" at {}", s.as_str()))
                .unwrap_or_default();
            lines.push(Line::from(Span::styled(
                format!("✖ last error{failed}: {e}"),
                t.error(),
            )));
        }
    } else {
        lines.push(Line::from(Span::styled(
            "no provisioning job yet (it starts at consent)",
            t.dim(),
        )));
    }
    let p = &m.provisioner;
    lines.push(Line::from(""));
    let overall = if let Some(why) = &p.disabled {
        Span::styled(format!("provisioner disabled: {why}"), t.warn())
    } else if p.running {
        Span::raw(format!(
            "{} in flight of {}, {} waiting, {} retrying",
            p.in_flight, p.concurrency, p.waiting, p.retrying
        ))
    } else {
        Span::styled("provisioner not running here".to_owned(), t.dim())
    };
    lines.push(overall.into());
    let reach = match p.blaxel_reachable {
        Some(true) => Span::styled("Blaxel answering", t.ok()),
        Some(false) => Span::styled("Blaxel NOT answering", t.error()),
        None => Span::styled("no Blaxel call yet", t.dim()),
    };
    let when = p
        .last_call_at
        .map(|at| format!(" (last call {})", ago(m.now, at)))
        .unwrap_or_default();
    lines.push(Line::from(vec![reach, Span::styled(when, t.dim())]));
    f.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(" Provisioning "))
            .wrap(Wrap { trim: false }),
        area,
    );
}
