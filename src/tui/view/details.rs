//! Draws the full view of its tenant (its rows from the layout), scrolled, with
//! where it is in its title, and its MCP URL on a line of its own under it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::detail::url_line;
use crate::tui::layout::details::{areas, max_scroll, rows};
use crate::tui::model::Model;

pub fn draw(m: &Model, f: &mut Frame, body: Rect, slug: &str, scroll: usize) {
    let a = areas(m, body);
    let width = a.pane.width.saturating_sub(2);
    let shown = usize::from(a.pane.height.saturating_sub(2));
    let all = rows(m, width);
    let from = scroll.min(max_scroll(m));
    let to = (from + shown).min(all.len());
    let at = if all.len() > shown {
        format!("─ rows {}-{to} of {} ", from + 1, all.len())
    } else {
        String::new()
    };
    let title = format!(" {slug}: all of it {at}");
    let lines: Vec<Line> = all.into_iter().skip(from).take(shown).collect();
    let block = Block::bordered().title(Line::from(Span::styled(title, m.theme.title())));
    f.render_widget(Paragraph::new(lines).block(block), a.pane);
    if let Some(url) = a.url {
        url_line(m, f, url);
    }
}
