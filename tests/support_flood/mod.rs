//! The kept-alive flood's clients: connections from a few addresses asking something
//! cheap over and over, each made again whenever the server closes it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// Kept-alive connections from one address, each over and over.
pub const PER_ADDRESS: usize = 56;
/// Addresses in one /24: 224 connections, under the per-network cap of 256.
pub const ADDRESSES_PER_NET: usize = 4;

/// The `n`th address that asks cheap questions: four per /24, a few /24s.
pub fn asking_addr(n: usize) -> Ipv4Addr {
    let net = u8::try_from(n / ADDRESSES_PER_NET).expect("few enough nets");
    let host = u8::try_from(n % ADDRESSES_PER_NET).expect("few hosts");
    Ipv4Addr::new(127, 90, net, 10 + host)
}

/// Read one answer to a request from `s` (headers, then `Content-Length` bytes of body);
/// its status, or `None` when the connection ended first.
async fn answer(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<u16> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let body: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + body {
                return head.get(9..12).and_then(|c| c.parse().ok());
            }
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Counts of what the askers saw.
#[derive(Default)]
pub struct Asked {
    /// Connections answered at least once.
    pub served: AtomicU64,
    /// Answers in all.
    pub answers: AtomicU64,
    /// Connections the server closed.
    pub cut: AtomicU64,
}

/// One kept-alive connection asking `path` every half second (after `start`), made again
/// whenever the server closes it.
pub async fn keep_asking(
    start: Duration,
    from: Ipv4Addr,
    to: SocketAddr,
    path: &'static str,
    asked: Arc<Asked>,
    mut stop: watch::Receiver<bool>,
) {
    tokio::time::sleep(start).await;
    let mut first = true;
    let mut buf = Vec::new();
    while !*stop.borrow() {
        let sock = match tokio::net::TcpSocket::new_v4() {
            Ok(s) if s.bind(SocketAddr::new(from.into(), 0)).is_ok() => s,
            _ => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let connected = tokio::select! {
            r = tokio::time::timeout(Duration::from_secs(10), sock.connect(to)) => r,
            _ = stop.changed() => return,
        };
        let Ok(Ok(mut s)) = connected else {
            continue;
        };
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        loop {
            if s.write_all(request.as_bytes()).await.is_err() {
                break;
            }
            let got = tokio::select! {
                a = answer(&mut s, &mut buf) => a,
                _ = stop.changed() => return,
            };
            if got.is_none() {
                break;
            }
            asked.answers.fetch_add(1, Ordering::Relaxed);
            if first {
                first = false;
                asked.served.fetch_add(1, Ordering::Relaxed);
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.changed() => return,
            }
        }
        asked.cut.fetch_add(1, Ordering::Relaxed);
    }
}
