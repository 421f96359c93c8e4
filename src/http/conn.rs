//! The accept loop: hyper HTTP/1 connections with a header read timeout (a client that
//! dribbles its headers is cut off), caps on open connections (in all, per client, per
//! network), room made under a flood by closing a connection of whoever holds the most
//! (see [`super::shed`] and [`super::victim`]), then a graceful stop that lets requests in
//! flight finish.
//!
//! axum's own `serve` sets no timer, so hyper's header read timeout would not apply.

use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::accept::{AcceptErrors, LogEvery};
use super::shed;

#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// Time a client has to send its request headers.
    pub header_read_timeout: Duration,
    /// The header timeout of a connection accepted while fewer than a quarter of the
    /// connection slots are free (it applies to the TLS handshake too).
    pub pressure_header_timeout: Duration,
    /// Connections open at once. When all are taken, one open for a second at least is
    /// closed for a new one (see [`super::victim`]), never a first request being answered;
    /// if none may go, new ones wait to be accepted.
    pub max_connections: usize,
    /// Connections open at once from one client address (IPv6: one /64); more are closed.
    pub max_per_client: usize,
    /// Connections open at once from one network (IPv4: a /24, IPv6: a /48); more are
    /// closed. Never less than `max_per_client` applies (one address is in one network).
    pub max_per_network: usize,
    /// Peers the per-client cap does not apply to: reverse proxies, which carry many
    /// clients' connections.
    pub exempt: Vec<IpAddr>,
    /// Exempt loopback peers too (a proxy on this machine).
    pub exempt_loopback: bool,
    /// On shutdown, how long requests in flight may take to finish.
    pub drain: Duration,
    /// What the listener is doing, for whoever stops it.
    pub stats: Arc<ConnStats>,
    /// Serve HTTPS with this certificate (reloadable) instead of plain HTTP.
    pub tls: Option<super::tls::Tls>,
}

/// Connections open and requests in flight now, and how many a stop cut after the drain
/// time.
#[derive(Debug, Default)]
pub struct ConnStats {
    open: AtomicUsize,
    in_flight: AtomicUsize,
    cut: AtomicUsize,
}

impl ConnStats {
    /// Connections accepted and not closed yet.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Requests being answered now (an idle keep-alive connection is not one).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Connections the last stop closed with a request still running, after the drain time.
    pub fn cut(&self) -> usize {
        self.cut.load(Ordering::Relaxed)
    }
}

/// One request in flight, counted until it is answered (or dropped).
struct InFlight(Arc<ConnStats>);

impl InFlight {
    fn new(stats: &Arc<ConnStats>) -> Self {
        stats.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(stats.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One open connection, counted until it is closed.
struct Open(Arc<ConnStats>);

impl Open {
    fn new(stats: &Arc<ConnStats>) -> Self {
        stats.open.fetch_add(1, Ordering::Relaxed);
        Self(stats.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            pressure_header_timeout: Duration::from_secs(3),
            max_connections: 1024,
            max_per_client: 64,
            max_per_network: 256,
            exempt: Vec::new(),
            exempt_loopback: false,
            drain: Duration::from_secs(30),
            stats: Arc::default(),
            tls: None,
        }
    }
}

/// Open connections per key (a client, or a network).
#[derive(Default)]
struct PerClient(std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>);

/// One open connection of a client, given back when dropped.
struct Slot {
    table: Arc<PerClient>,
    key: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = t.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.remove(&self.key);
            }
        }
    }
}

impl PerClient {
    fn take(self: &Arc<Self>, key: IpAddr, max: usize) -> Option<Slot> {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = t.entry(key).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            table: self.clone(),
            key,
        })
    }
}

/// Connections the kernel completes and queues before they are accepted. Under a flood the
/// listener drains this queue by making room (see [`super::shed`]); a full queue would drop
/// new connection attempts, a customer's among them, to be retried only seconds later.
pub const BACKLOG: u32 = 4096;

/// Listen on `addr` with [`BACKLOG`] (the kernel caps it at `net.core.somaxconn`).
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// How one connection is served.
struct Serving {
    header_timeout: Duration,
    peer: std::net::SocketAddr,
    ticket: Arc<shed::Ticket>,
}

/// One connection, plain or TLS: hyper with the header timeout, ended gracefully on stop,
/// closed at once when shed.
async fn serve_io<I, S>(io: I, svc: S, how: &Serving, stop: &mut watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: tower::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(how.header_timeout);
    let conn = builder.serve_connection(io, TowerToHyperService::new(svc));
    tokio::pin!(conn);
    let peer = how.peer;
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        }
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
        () = how.ticket.shed() => {
            if how.ticket.after_answer() {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
            tracing::debug!(%peer, "connection closed to make room");
        }
    }
}

/// The per-client and per-network slots of a new connection (none for an exempt peer);
/// `None`: over a cap, refused.
fn admit(
    ip: IpAddr,
    limits: &ConnLimits,
    per_client: &Arc<PerClient>,
    per_network: &Arc<PerClient>,
) -> Option<Vec<Slot>> {
    if limits.exempt.contains(&ip) || (limits.exempt_loopback && ip.is_loopback()) {
        return Some(Vec::new());
    }
    let client = per_client.take(super::limits::client_key_of(ip), limits.max_per_client)?;
    let network = per_network.take(
        super::limits::network_key_of(ip),
        limits.max_per_network.max(limits.max_per_client),
    )?;
    Some(vec![client, network])
}

/// A free connection slot, or one made by closing a connection (then `true`; which one:
/// see [`super::victim`]); when none may go, wait for one to end.
async fn room(permits: &Arc<Semaphore>, idle: &shed::Idle) -> (OwnedSemaphorePermit, bool) {
    let mut closed = false;
    loop {
        if let Ok(p) = permits.clone().try_acquire_owned() {
            return (p, closed);
        }
        let retry = match idle.shed_one(shed::MIN_AGE) {
            shed::Shed::NotBefore(at) => Some(tokio::time::Instant::from_std(at)),
            shed::Shed::Closed => {
                closed = true;
                None
            }
            // Its slot comes once its answer is sent; should that take long, another goes.
            shed::Shed::Closing => {
                closed = true;
                Some(tokio::time::Instant::now() + shed::MIN_AGE)
            }
            shed::Shed::Nobody => None,
        };
        tokio::select! {
            // The semaphore is never closed.
            Ok(p) = permits.clone().acquire_owned() => return (p, closed),
            () = tokio::time::sleep_until(retry.unwrap_or_else(tokio::time::Instant::now)), if retry.is_some() => {}
        }
    }
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ConnLimits,
) -> std::io::Result<()> {
    let max = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max));
    let per_client = Arc::new(PerClient::default());
    let per_network = Arc::new(PerClient::default());
    let idle = Arc::new(shed::Idle::default());
    let mut errors = AcceptErrors::default();
    let (mut refused, mut made_room) = (LogEvery::default(), LogEvery::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(v) => {
                    errors.ok();
                    v
                }
                Err(e) => {
                    // Any connection may go, a new one of any age too.
                    errors.failed("listener", &e, || { idle.shed_one(Duration::ZERO); }).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ip = peer.ip();
        let Some(slots) = admit(ip, &limits, &per_client, &per_network) else {
            if let Some(n) = refused.note() {
                tracing::warn!(%ip, refused = n, max_per_client = limits.max_per_client, max_per_network = limits.max_per_network, "connections refused: too many open from one client or network (logged once a minute)");
            }
            drop(stream);
            continue;
        };
        let (permit, closed) = tokio::select! {
            r = room(&permits, &idle) => r,
            () = &mut shutdown => break,
        };
        if closed && let Some(n) = made_room.note() {
            tracing::warn!(
                max,
                closed = n,
                "listener full: idle connections were closed to make room (logged once a minute)"
            );
        }
        // Under pressure a new connection gets less time to send its request.
        let header_timeout = if permits.available_permits() < max / 4 {
            limits
                .header_read_timeout
                .min(limits.pressure_header_timeout)
        } else {
            limits.header_read_timeout
        };
        let how = Serving {
            header_timeout,
            peer,
            ticket: idle.enter(ip),
        };
        let app = app.clone();
        let mut stop = stop_rx.clone();
        let stats = limits.stats.clone();
        let tls = limits.tls.clone();
        let open = Open::new(&limits.stats);
        conns.spawn(async move {
            let _permit = permit;
            let _slots = slots;
            let _open = open;
            let ticket = how.ticket.clone();
            let svc = tower::service_fn(move |req: hyper::Request<Incoming>| {
                let mut req = ticket.watch(req);
                req.extensions_mut().insert(ConnectInfo(peer));
                let app = app.clone();
                let counted = InFlight::new(&stats);
                let ticket = ticket.clone();
                async move {
                    let res = app.oneshot(req).await.map_err(|e: Infallible| match e {});
                    drop(counted);
                    ticket.answered();
                    res
                }
            });
            match &tls {
                None => serve_io(TokioIo::new(stream), svc, &how, &mut stop).await,
                Some(tls) => {
                    // The handshake gets the same time as the headers do.
                    let hs = tokio::select! {
                        hs = tokio::time::timeout(how.header_timeout, tls.acceptor().accept(stream)) => hs,
                        () = how.ticket.shed() => return,
                    };
                    match hs {
                        Ok(Ok(s)) => serve_io(TokioIo::new(s), svc, &how, &mut stop).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.drain, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        let cut = limits.stats.in_flight();
        limits.stats.cut.store(cut, Ordering::Relaxed);
        tracing::warn!(
            cut,
            "connections still open after the drain time were closed"
        );
        // Closed now, not whenever the runtime gets round to dropping them.
        conns.shutdown().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_never_gets_less_than_one_client_and_an_exempt_peer_no_cap() {
        let limits = ConnLimits {
            max_per_client: 4,
            max_per_network: 2,
            exempt: vec!["192.0.2.9".parse().unwrap()],
            ..Default::default()
        };
        let (c, n) = (Arc::default(), Arc::default());
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let held: Vec<_> = (0..4)
            .map(|_| admit(ip("192.0.2.1"), &limits, &c, &n).expect("within the client's cap"))
            .collect();
        assert!(admit(ip("192.0.2.1"), &limits, &c, &n).is_none());
        assert!(
            admit(ip("192.0.2.2"), &limits, &c, &n).is_none(),
            "the network is full"
        );
        assert!(admit(ip("192.0.3.1"), &limits, &c, &n).is_some());
        assert!((0..10).all(|_| admit(ip("192.0.2.9"), &limits, &c, &n).is_some()));
        drop(held);
        assert!(admit(ip("192.0.2.2"), &limits, &c, &n).is_some());
    }
}
