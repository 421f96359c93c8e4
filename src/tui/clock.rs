//! Times as the console says them, relative to now: how long ago, how long until.

use crate::time::Millis;

/// "12s ago", "3m ago": the one way the product says an age.
pub use crate::time::ago;

/// "in 6d 23h", "in 4m 10s", "now".
pub fn countdown(now: Millis, at: Millis) -> String {
    let s = (at - now) / 1000;
    if s <= 0 {
        return "now".into();
    }
    let (d, h, mi, se) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if d > 0 {
        format!("in {d}d {h}h")
    } else if h > 0 {
        format!("in {h}h {mi}m")
    } else if mi > 0 {
        format!("in {mi}m {se}s")
    } else {
        format!("in {se}s")
    }
}
