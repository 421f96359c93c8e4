//! The grid every table for people is drawn on: left-aligned columns with a header row,
//! long cells clipped with an ellipsis.

/// Left-aligned columns three spaces apart; the last column is not padded.
pub(super) fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let mut width = head.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let mut out = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            out.push_str(c);
            if i + 1 < N {
                out.push_str(&" ".repeat(w - c.chars().count() + 3));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(*head);
    for r in rows {
        out.push_str(&line(std::array::from_fn(|i| r[i].as_str())));
    }
    out
}

/// `s` cut to `max` characters, the last one an ellipsis when it was longer.
pub(super) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}
