//! Text cut into rows by the console itself, so that what a pane needs is counted in rows
//! as drawn (a paragraph's own wrapping cannot be measured before it is drawn). Words wrap at
//! spaces; a word wider than a row (a URL) is never broken across rows: it is cut, visibly,
//! with an ellipsis.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::tui::style::Theme;

/// Display width (terminal columns) of `s`.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` in at most `room` columns: whole, or cut with `…` at the end.
pub fn fit(s: &str, room: usize) -> String {
    if width(s) <= room {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let w = width(c.encode_utf8(&mut buf));
        if used + w + 1 > room {
            break;
        }
        out.push(c);
        used += w;
    }
    if room > 0 {
        out.push('…');
    }
    out
}

/// A word too wide for any row is cut where it starts when this much of its row is left.
const CUT_HERE: usize = 12;

/// `text` cut into rows of at most `room` columns (at least one row).
pub fn rows(text: &str, room: usize) -> Vec<String> {
    let room = room.max(1);
    let mut out = vec![String::new()];
    let mut used = 0;
    for word in text.split(' ') {
        let w = width(word);
        let cut_anyway = w > room && room.saturating_sub(used + 1) >= CUT_HERE;
        if used > 0 && used + 1 + w > room && !cut_anyway {
            out.push(String::new());
            used = 0;
        }
        let Some(row) = out.last_mut() else { break };
        if used > 0 {
            row.push(' ');
            used += 1;
        }
        if w > room - used {
            row.push_str(&fit(word, room - used));
            used = room;
        } else {
            row.push_str(word);
            used += w;
        }
    }
    out
}

/// `text` in rows of `room` columns, each row indented by `indent` columns after the first
/// (`first` is put before the first row, and takes the same columns).
pub fn hanging(first: Span<'static>, text: &str, style: Style, room: usize) -> Vec<Line<'static>> {
    let indent = first.width();
    rows(text, room.saturating_sub(indent))
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let lead = if i == 0 {
                first.clone()
            } else {
                Span::raw(" ".repeat(indent))
            };
            Line::from(vec![lead, Span::styled(r, style)])
        })
        .collect()
}

/// `key      value`: the key dim in nine columns, the value wrapped in rows of `room`
/// columns under itself.
pub fn kv(theme: Theme, k: &str, v: &str, style: Style, room: usize) -> Vec<Line<'static>> {
    let key = Span::styled(format!("{k:<9}"), theme.dim());
    hanging(key, v, style, room)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_and_a_long_word_is_cut_visibly_never_broken() {
        assert_eq!(rows("one two three", 7), vec!["one two", "three"]);
        assert_eq!(rows("", 5), vec![""]);
        let url = "https://run.example/acme/functions/gmail-mcp-acme/mcp";
        let r = rows(&format!("deployed: {url}"), 20);
        assert_eq!(r, vec!["deployed:", "https://run.example…"]);
        assert!(r.iter().all(|x| width(x) <= 20));
        let r = rows(&format!("deployed: {url}"), 40);
        assert_eq!(r, vec!["deployed: https://run.example/acme/func…"]);
        assert_eq!(fit(url, 100), url);
        assert_eq!(fit("αβγδε", 3), "αβ…");
    }

    #[test]
    fn hanging_rows_keep_the_lead_and_indent_the_rest() {
        let lines = hanging(Span::raw("key  "), "a b c d", Style::new(), 8);
        let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
        assert_eq!(text, vec!["key  a b", "     c d"]);
    }
}
