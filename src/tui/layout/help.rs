//! The help as rows: every key of the table, the link view, the full view of a tenant and
//! the forms, then the palette's commands, all from the registry. A command that cannot be
//! used now is greyed (the caller says which); the layout counts the rows to bound the
//! scrolling.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::wrap::hanging;
use crate::tui::commands::{self, Action, Scope};
use crate::tui::model::Model;

/// The scopes the help lists, in order.
pub const SCOPES: [Scope; 4] = [Scope::Table, Scope::Link, Scope::Details, Scope::Form];

/// The help in rows of `width` columns; `grey` says which commands are greyed.
pub fn help_rows(
    m: &Model,
    width: u16,
    grey: &dyn Fn(Scope, Action) -> bool,
) -> Vec<Line<'static>> {
    let t = m.theme;
    let w = usize::from(width);
    let mut lines = Vec::new();
    for scope in SCOPES {
        lines.push(Line::from(Span::styled(scope.title(), t.title())));
        for l in commands::help(scope) {
            let greyed = grey(scope, l.action);
            let lead = Span::styled(
                format!("  {:<12}", l.keys),
                if greyed { t.dim() } else { t.key() },
            );
            let (what, style) = match (l.danger, greyed) {
                (true, false) => (format!("{} (asks first)", l.what), t.danger()),
                (true, true) => (format!("{} (asks first)", l.what), t.dim()),
                (false, false) => (l.what.to_owned(), Style::new()),
                (false, true) => (l.what.to_owned(), t.dim()),
            };
            lines.extend(hanging(lead, &what, style, w));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(
        ":commands (tab completes)",
        t.title(),
    )));
    for (name, args, e) in commands::typed_commands() {
        let lead = Span::styled(format!("  :{name} {args}  "), t.key());
        lines.extend(hanging(lead, e.help, Style::new(), w));
    }
    lines
}
