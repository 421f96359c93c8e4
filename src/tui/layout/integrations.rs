//! Each integration a tenant holds, as the console shows it. In its row: one mark per
//! integration, its first first, each its short name (`drive`; on a narrow table its letter,
//! `d`) and its status's glyph in the status's colour. In its pane, when it holds more than
//! one: a block of rows per integration (status, reason, a consent waiting for approval,
//! token health, MCP check, consent time, scopes missing, Blaxel connection and server, MCP
//! URL), the
//! tenant's own rows then saying only what is the tenant's. In a pane short of room
//! ([`Extent::Brief`]) a block says its status, what needs attention and its MCP server.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::cap::Extent;
use super::facts::{approval_text, mcp, token};
use super::wrap::{Fold, hanging_as};
use crate::engine::api::{IntegrationStatus, IntegrationView, TenantView, TokenView};
use crate::time::ago;
use crate::tui::model::Model;
use crate::tui::style::{self, Theme};

/// The marks of a row: `gmail ● drive ✉` (`wide`) or `g● d✉`; `-` when the owner did not
/// say (one of an earlier release).
pub fn marks(t: Theme, statuses: &[IntegrationStatus], wide: bool) -> Line<'static> {
    if statuses.is_empty() {
        return Line::from("-");
    }
    let mut spans = Vec::new();
    for (i, s) in statuses.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let name = if wide {
            format!("{} ", s.integration.short())
        } else {
            s.integration.letter().to_string()
        };
        spans.push(Span::raw(name));
        spans.push(Span::styled(
            style::group(s.status).glyph(),
            t.status(s.status),
        ));
    }
    Line::from(spans)
}

/// Whether the pane shows a block per integration (the tenant holds more than one).
pub fn in_blocks(d: &TenantView) -> bool {
    d.integrations.len() > 1
}

/// The provisioning panel's title: whose job it shows when the tenant holds several
/// integrations (its first's; each one's server is in its block).
pub fn provisioning_title(d: Option<&TenantView>) -> String {
    match d.filter(|d| in_blocks(d)) {
        Some(d) => format!("Provisioning: {}", d.integration),
        None => "Provisioning".to_owned(),
    }
}

/// The pane's blocks: per integration, its pieces of rows in `width` columns (each piece
/// for the caller to cap).
pub fn blocks(m: &Model, d: &TenantView, width: u16, extent: Extent) -> Vec<Vec<Line<'static>>> {
    if !in_blocks(d) {
        return Vec::new();
    }
    d.integrations
        .iter()
        .flat_map(|v| block(m, d, v, width, extent))
        .collect()
}

/// Columns a block's rows are indented by, under its heading.
const INDENT: usize = 2;

fn block(
    m: &Model,
    d: &TenantView,
    v: &IntegrationView,
    width: u16,
    extent: Extent,
) -> Vec<Vec<Line<'static>>> {
    let fold = extent.fold();
    let brief = extent == Extent::Brief;
    let t = m.theme;
    let w = usize::from(width);
    let kv = |k: &str, text: &str, style: Style| {
        let key = Span::styled(format!("{:INDENT$}{k:<8}", ""), t.dim());
        hanging_as(fold, key, text, style, w)
    };
    let lead = |glyph: &str, style: Style| Span::styled(format!("{:INDENT$}{glyph} ", ""), style);
    let mut out = Vec::new();
    let name = Span::styled(format!("{}  ", v.integration.name()), t.title());
    let status = style::tenant_status(v.status, v.failure);
    out.push(hanging_as(fold, name, &status, t.status(v.status), w));
    if let Some(r) = &v.reason {
        out.push(hanging_as(fold, lead("✖", t.error()), r, t.error(), w));
    }
    if let Some(p) = &v.pending_consent {
        // The console's approve and reject keys take the only consent waiting; with
        // several, the command names the integration.
        let text = match d.to_name_for_approval(v.integration) {
            None => approval_text(&p.account),
            Some(i) => format!(
                "consent by {}: `mcp-onboard approve {} --integration {i}` (or reject)",
                p.account, d.slug
            ),
        };
        let style = t.group(style::Group::Approval);
        out.push(hanging_as(fold, lead("◆", style), &text, style, w));
    }
    if let Some(tok) = v.token.as_ref().filter(|tok| !brief || !healthy(tok)) {
        let (text, style) = token(m, tok);
        out.push(kv("token", &text, style));
    }
    if let Some(c) = v.mcp.as_ref().filter(|c| !brief || !c.usable) {
        let (text, style) = mcp(m, c);
        out.push(kv("tools", &text, style));
    }
    if brief {
        // A URL cut to a narrow pane reads the same for every integration: the server's
        // name tells them apart (the full view shows the URL).
        if let Some(f) = &v.function {
            let style = if v.mcp_url.is_some() {
                t.ok()
            } else {
                Style::new()
            };
            out.push(kv("server", f, style));
        }
        return out;
    }
    if let Some(at) = v.consented_ms {
        let when = match (fold, &v.consented_at) {
            (Fold::Break, Some(stamp)) => format!("{} ({stamp})", ago(m.now, at)),
            _ => ago(m.now, at),
        };
        out.push(kv("consent", &when, Style::new()));
    }
    if !v.granted_scopes.is_empty() {
        let missing =
            crate::domain::consent::missing_scopes(&v.requested_scopes, &v.granted_scopes);
        if !missing.is_empty() {
            let text = format!("✖ missing {}", missing.join(" "));
            out.push(kv("scopes", &text, t.error()));
        }
    }
    let plain = Style::new();
    if let Some(c) = &v.connection {
        out.push(kv("conn", c, plain));
    }
    if let Some(f) = &v.function {
        out.push(kv("server", f, plain));
    }
    if let Some(url) = &v.mcp_url {
        out.push(kv("MCP", url, t.ok()));
    }
    out
}

fn healthy(tok: &TokenView) -> bool {
    tok.health == Some(crate::domain::health::Health::Healthy)
}
