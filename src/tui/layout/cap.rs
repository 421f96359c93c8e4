//! How much of a long piece of text (a reason, a Blaxel error, a timeline entry) a pane
//! shows: its first rows and a marker saying how many more there are and which key shows
//! them all, so nothing is cut silently. The full view of a tenant shows every row.

use ratatui::text::{Line, Span};

use super::wrap::{self, Fold};
use crate::tui::commands::{self, Action, Scope};
use crate::tui::model::Model;

/// The most rows one piece takes in a pane, its marker included.
pub const PIECE_ROWS: usize = 3;

/// Where rows are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// In a pane: each piece capped at [`PIECE_ROWS`], a word wider than a row cut.
    Pane,
    /// In a pane short of room for every row of each integration's block: as `Pane`, each
    /// block saying only its status, what needs attention and its MCP server.
    Brief,
    /// In the full view: every row of every piece, a word wider than a row broken across
    /// rows.
    Whole,
}

impl Extent {
    pub fn fold(self) -> Fold {
        match self {
            Extent::Pane | Extent::Brief => Fold::Cut,
            Extent::Whole => Fold::Break,
        }
    }
}

/// One piece's rows as shown where `extent` says: in a pane, when they are more than
/// [`PIECE_ROWS`], the first ones and a marker of `width` columns at most.
pub fn capped(
    m: &Model,
    mut rows: Vec<Line<'static>>,
    extent: Extent,
    width: u16,
) -> Vec<Line<'static>> {
    if extent == Extent::Whole || rows.len() <= PIECE_ROWS {
        return rows;
    }
    let hidden = rows.len() - (PIECE_ROWS - 1);
    rows.truncate(PIECE_ROWS - 1);
    rows.push(marker(m, hidden, width));
    rows
}

/// Keep `rows` within `room` rows: when they are more, the first ones and a marker.
pub fn cut_to(m: &Model, rows: &mut Vec<Line<'static>>, room: usize, width: u16) {
    if rows.len() <= room || room == 0 {
        rows.truncate(room);
        return;
    }
    let hidden = rows.len() - (room - 1);
    rows.truncate(room - 1);
    rows.push(marker(m, hidden, width));
}

/// `⋯ 6 more rows: d shows all`, in `width` columns at most.
pub fn marker(m: &Model, hidden: usize, width: u16) -> Line<'static> {
    let key = commands::key_of(Scope::Table, Action::Details).unwrap_or_else(|| "?".into());
    let s = if hidden == 1 { "" } else { "s" };
    let text = format!("⋯ {hidden} more row{s}: {key} shows all");
    Line::from(Span::styled(
        wrap::fit(&text, usize::from(width)),
        m.theme.dim(),
    ))
}
