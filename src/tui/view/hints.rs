//! The bottom line: the keys that can be used now (from the registry, those available),
//! or the filter being typed with its own keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::commands::{self, Action, Hint, Scope, available};
use crate::tui::model::Model;

/// The keys that can be used here, as many as fit; help, quit and back always have a place.
pub fn bar(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let hints = available::offered(commands::scope(&m.mode), m);
    let width =
        |h: &Hint| h.key.chars().count() + h.word.chars().count() + 3 + usize::from(h.danger);
    let essential = |h: &Hint| matches!(h.action, Action::Help | Action::Quit | Action::Back);
    let budget = usize::from(area.width).saturating_sub(1);
    let mut used: usize = hints.iter().filter(|h| essential(h)).map(width).sum();
    let mut keep = Vec::new();
    for h in &hints {
        if essential(h) {
            keep.push(h);
        } else if used + width(h) <= budget {
            used += width(h);
            keep.push(h);
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for h in keep {
        spans.push(Span::styled(h.key.clone(), t.key()));
        if h.danger {
            spans.push(Span::styled(format!(" {}!  ", h.word), t.danger()));
        } else {
            spans.push(Span::raw(format!(" {}  ", h.word)));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The filter as it is typed, with the keys that end it.
pub fn filter_line(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let keys: Vec<String> = commands::hints(Scope::Filter)
        .into_iter()
        .map(|h| format!("{} {}", h.key, h.word))
        .collect();
    let text = Line::from(vec![
        Span::styled(" /", t.key()),
        Span::raw(m.table.filter.value().to_owned()),
        Span::styled(format!("   {}", keys.join("  ")), t.dim()),
    ]);
    f.render_widget(Paragraph::new(text), area);
    let x = area.x + 2 + u16::try_from(m.table.filter.visual_cursor()).unwrap_or(0);
    f.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
}
