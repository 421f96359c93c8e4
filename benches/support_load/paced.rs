//! A steady load: connections each sending one request on a fixed schedule, latencies
//! counted from when the schedule said to send (a server that falls behind is not hidden
//! by the driver waiting for it).

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::{percentile, read_response};

/// What a steady load found.
pub struct Paced {
    /// Requests sent per second, really.
    pub offered: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub errors: u64,
}

/// Send `reqs[i].1` on connection i (to `reqs[i].0`), all together at `rate` per second for `secs`, each
/// connection on its own fixed schedule; latencies from the scheduled time.
pub fn paced(reqs: &[(SocketAddr, String)], want: u16, rate: f64, secs: f64) -> Paced {
    let n = reqs.len();
    let every = Duration::from_secs_f64(n as f64 / rate);
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + Duration::from_secs_f64(secs);
    let threads: Vec<_> = reqs
        .iter()
        .enumerate()
        .map(|(i, (addr, req))| {
            let (addr, req) = (*addr, req.clone().into_bytes());
            let first = start + Duration::from_secs_f64(i as f64 / rate);
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                let mut last_sent = start;
                let mut buf = Vec::new();
                let mut s = TcpStream::connect(addr).expect("connect");
                s.set_nodelay(true).ok();
                let mut due = first;
                while due < end {
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    last_sent = Instant::now();
                    let ok = s
                        .write_all(&req)
                        .and_then(|()| read_response(&mut s, &mut buf));
                    match ok {
                        Ok(st) if st == want => lat.push(due.elapsed()),
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            s = TcpStream::connect(addr).expect("reconnect");
                        }
                    }
                    due += every;
                }
                (lat, errors, last_sent)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    let mut last = start;
    for t in threads {
        let (l, e, sent) = t.join().expect("load thread");
        all.extend(l);
        errors += e;
        last = last.max(sent);
    }
    all.sort();
    let sent = all.len() as u64 + errors;
    Paced {
        offered: sent as f64 / (last - start).as_secs_f64().max(1e-9),
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        max: all.last().copied().unwrap_or_default(),
        errors,
    }
}
