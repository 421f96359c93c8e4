//! Which entries of a timeline show in a window of rows, scrolled some entries back from
//! the newest, with marker rows saying how many are hidden before or after; and how far
//! back it can scroll. Counted in entries of known heights (in rows), so the update and the
//! view agree without drawing anything.

/// Which of the older entries show in `room` rows, scrolled `back` entries from the newest,
/// and whether a marker row says some are hidden before or after them (markers included,
/// never more than `room` rows).
pub struct Window {
    pub start: usize,
    pub end: usize,
    pub earlier: bool,
    pub later: bool,
}

pub fn window(heights: &[usize], back: usize, room: usize) -> Window {
    if room == 1 && !heights.is_empty() {
        return one_row_window(heights, back);
    }
    let end = heights.len() - back.min(heights.len());
    let none = Window {
        start: end,
        end,
        earlier: false,
        later: false,
    };
    if room == 0 || end == 0 {
        return none;
    }
    let fill = |budget: usize| {
        let (mut start, mut used) = (end, 0);
        while start > 0 && used + heights[start - 1] <= budget {
            used += heights[start - 1];
            start -= 1;
        }
        (start, used)
    };
    // A marker row says entries are hidden after the window, unless it leaves no room for
    // one entry.
    let mut later = end < heights.len();
    let (mut start, mut used) = fill(room - usize::from(later));
    if start == end && later {
        later = false;
        (start, used) = fill(room);
    }
    if start == end {
        // Not one entry fits whole: the nearest one shows, cut to the room (a marker alone
        // would hide the newest of the older entries for good).
        return Window {
            start: end - 1,
            earlier: end > 1 && room >= 2,
            ..none
        };
    }
    // The marker of those before takes a row from the window, but leaves it one entry.
    let budget = room - usize::from(later);
    while start > 0 && start + 1 < end && used + 1 > budget {
        used -= heights[start];
        start += 1;
    }
    Window {
        start,
        end,
        earlier: start > 0 && used < budget,
        later,
    }
}

/// A window of one row: unscrolled, the newest of the older entries when it fits, else a
/// marker that says how to scroll back; scrolled back by `k`, the `k`-th newest, cut to the
/// row if it must be.
fn one_row_window(heights: &[usize], back: usize) -> Window {
    let n = heights.len();
    if back == 0 {
        return if heights[n - 1] == 1 {
            Window {
                start: n - 1,
                end: n,
                earlier: false,
                later: false,
            }
        } else {
            Window {
                start: n,
                end: n,
                earlier: true,
                later: false,
            }
        };
    }
    let start = n - back.min(n);
    Window {
        start,
        end: start + 1,
        earlier: false,
        later: false,
    }
}

/// The least `back` at which the window of `room` rows shows the first entry.
pub fn farthest_back(h: &[usize], room: usize) -> usize {
    if window(h, 0, room).start == 0 {
        return 0;
    }
    if room == 1 {
        // One entry a step, back to the first.
        return h.len();
    }
    // Back until the first entries fill the room beside the marker of the later ones (at
    // least the first entry, cut if it must be).
    let mut used = 0;
    let fit = h
        .iter()
        .take_while(|x| {
            used += **x;
            used < room
        })
        .count();
    h.len() - fit.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn scrolling_back_stops_where_the_first_entry_shows(
            h in proptest::collection::vec(1usize..4, 1..30),
            room in 1usize..12,
        ) {
            let back = farthest_back(&h, room);
            prop_assert_eq!(window(&h, back, room).start, 0);
            if back > 0 {
                prop_assert!(window(&h, back - 1, room).start > 0);
            }
            // Markers included, the window never takes more than its room.
            for b in 0..=h.len() {
                let w = window(&h, b, room);
                // An entry taller than the room is drawn cut to one row.
                let whole: usize = h[w.start..w.end].iter().sum();
                let rows = if whole <= room { whole } else { 1 }
                    + usize::from(w.earlier)
                    + usize::from(w.later);
                prop_assert!(rows <= room, "back {} {:?}", b, (w.start, w.end, w.earlier, w.later));
            }
        }
    }
}
