//! Draws the help (its rows from the layout), scrolled; what cannot be used now is greyed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::commands::available::{self, Availability};
use crate::tui::layout::{self, help::help_rows};
use crate::tui::model::Model;

pub fn draw(m: &Model, f: &mut Frame, area: Rect, scroll: u16) {
    let t = m.theme;
    let block = Block::bordered().title(Line::from(Span::styled(
        " Help ─ ↑/↓ scroll, q or esc closes ",
        t.title(),
    )));
    let scroll = scroll.min(layout::help_max_scroll(m));
    let grey = |scope, action| available::of(scope, action, m) != Availability::Ready;
    f.render_widget(
        Paragraph::new(help_rows(m, area.width.saturating_sub(2), &grey))
            .scroll((scroll, 0))
            .block(block),
        area,
    );
}
