//! The command palette's line, and its completions in a box inside the selected tenant's
//! pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use tui_input::Input;

use crate::tui::commands::complete::completions;
use crate::tui::layout;
use crate::tui::model::Model;

/// The palette's line, and its completions in a box inside the selected tenant's pane
/// (never over the panes' borders), saying how many more there are than it shows.
pub fn draw(m: &Model, f: &mut Frame, line: Rect, body: Rect, p: &Input) {
    let t = m.theme;
    let list = completions(m, p.value());
    let pane = layout::tenants(m, body).detail;
    let room = usize::from(pane.height.saturating_sub(5)).min(8);
    if !list.is_empty() && room > 0 {
        let n = list.len().min(room);
        let more = list.len() - n;
        let h = u16::try_from(n + 2).unwrap_or(u16::MAX);
        // A column and a row clear of the pane's borders on every side.
        let r = Rect {
            x: pane.x + 2,
            y: pane.bottom().saturating_sub(h + 2),
            width: pane.width.saturating_sub(4).min(50),
            height: h,
        };
        f.render_widget(Clear, r);
        let items: Vec<Line> = list
            .iter()
            .take(n)
            .map(|c| Line::from(format!(":{c}")))
            .collect();
        let mut block = Block::bordered().title(" tab completes ");
        if more > 0 {
            block = block.title_bottom(
                Line::from(Span::styled(
                    format!(" +{more} more: type to narrow "),
                    t.dim(),
                ))
                .right_aligned(),
            );
        }
        f.render_widget(Paragraph::new(items).block(block), r);
    }
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" :", t.key()),
            Span::raw(p.value().to_owned()),
        ])),
        line,
    );
    let x = line.x + 2 + u16::try_from(p.visual_cursor()).unwrap_or(0);
    f.set_cursor_position((x.min(line.right().saturating_sub(1)), line.y));
}
