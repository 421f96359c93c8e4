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

/// `text` cut into rows of at most `room` columns like [`rows`], except that a word wider
/// than a row (a file's path) is broken across rows, after a `/` where it can be, rather than
/// cut: for a message whose every character counts.
pub fn rows_breaking_words(text: &str, room: usize) -> Vec<String> {
    let room = room.max(1);
    let mut out = vec![String::new()];
    let mut used = 0;
    for word in text.split(' ') {
        let mut rest = word;
        loop {
            let space = usize::from(used > 0);
            let w = width(rest);
            let Some(row) = out.last_mut() else { break };
            if used + space + w <= room {
                if space == 1 {
                    row.push(' ');
                }
                row.push_str(rest);
                used += space + w;
                break;
            }
            let avail = room - used - space.min(room - used);
            if w <= room || avail < CUT_HERE.min(room) {
                // On a row of its own it fits, or too little is left here to start it.
                out.push(String::new());
                used = 0;
                continue;
            }
            let head = fit_prefix(rest, avail);
            let cut = head.rfind('/').map_or(head.len(), |i| i + 1);
            if space == 1 {
                row.push(' ');
            }
            row.push_str(&rest[..cut]);
            rest = &rest[cut..];
            out.push(String::new());
            used = 0;
        }
    }
    out
}

/// The longest start of `s` that takes at most `room` columns (at least one character).
fn fit_prefix(s: &str, room: usize) -> &str {
    let mut used = 0;
    let mut end = 0;
    let mut buf = [0u8; 4];
    for (i, c) in s.char_indices() {
        let w = width(c.encode_utf8(&mut buf));
        if used + w > room && end > 0 {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    &s[..end]
}

/// What becomes of a word wider than a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Cut visibly ([`rows`]): a URL is never broken, so what is selected of it is never a
    /// wrong URL.
    Cut,
    /// Broken across rows ([`rows_breaking_words`]): every character is shown.
    Break,
}

/// `text` in rows of `room` columns, each row indented by `indent` columns after the first
/// (`first` is put before the first row, and takes the same columns).
pub fn hanging(first: Span<'static>, text: &str, style: Style, room: usize) -> Vec<Line<'static>> {
    hanging_as(Fold::Cut, first, text, style, room)
}

/// The same, a word wider than a row folded as `fold` says.
pub fn hanging_as(
    fold: Fold,
    first: Span<'static>,
    text: &str,
    style: Style,
    room: usize,
) -> Vec<Line<'static>> {
    let indent = first.width();
    let room = room.saturating_sub(indent);
    let cut = match fold {
        Fold::Cut => rows(text, room),
        Fold::Break => rows_breaking_words(text, room),
    };
    cut.into_iter()
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
    kv_as(Fold::Cut, theme, k, v, style, room)
}

/// The same, a word wider than a row folded as `fold` says.
pub fn kv_as(
    fold: Fold,
    theme: Theme,
    k: &str,
    v: &str,
    style: Style,
    room: usize,
) -> Vec<Line<'static>> {
    let key = Span::styled(format!("{k:<9}"), theme.dim());
    hanging_as(fold, key, v, style, room)
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

#[cfg(test)]
mod breaking_tests {
    use super::*;

    #[test]
    fn a_path_wider_than_a_row_is_broken_after_a_slash_and_kept_whole() {
        let path = "/srv/a-rather-long-folder/with/many/parts/mcp-onboard/demo/exports";
        let text = format!("✔ QR code written to beta-ab12cd34.png and .svg in {path}");
        let rows = rows_breaking_words(&text, 40);
        assert!(rows.iter().all(|r| width(r) <= 40), "{rows:?}");
        assert_eq!(rows.concat().replace(' ', ""), text.replace(' ', ""));
        assert!(rows.iter().any(|r| r.ends_with('/')), "{rows:?}");
        // Text that fits is wrapped at spaces as usual.
        assert_eq!(rows_breaking_words("a b c", 3), vec!["a b", "c"]);
    }

    #[test]
    fn a_word_without_a_slash_is_broken_where_the_row_ends() {
        let rows = rows_breaking_words("x 0123456789abcdefghij", 12);
        assert!(rows.iter().all(|r| width(r) <= 12), "{rows:?}");
        assert_eq!(rows, vec!["x", "0123456789ab", "cdefghij"]);
    }
}
