//! The console bench's parts: its in-process half (`in_process`), the real binary in a
//! real terminal (`terminal`), and how their times are summed up.

pub mod in_process;
pub mod terminal;

use std::time::Duration;

pub fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
