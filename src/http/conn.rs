//! The accept loop: hyper HTTP/1 connections with a header read timeout (a client that
//! dribbles its headers is cut off) and a cap on open connections, then a graceful stop
//! that lets requests in flight finish.
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
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// Time a client has to send its request headers.
    pub header_read_timeout: Duration,
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// Connections open at once from one client address (IPv6: one /64); more are closed.
    pub max_per_client: usize,
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

/// Requests in flight now, and how many a stop cut after the drain time.
#[derive(Debug, Default)]
pub struct ConnStats {
    in_flight: AtomicUsize,
    cut: AtomicUsize,
}

impl ConnStats {
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

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_per_client: 64,
            exempt: Vec::new(),
            exempt_loopback: false,
            drain: Duration::from_secs(30),
            stats: Arc::default(),
            tls: None,
        }
    }
}

/// Open connections per client key.
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

/// One connection, plain or TLS: hyper with the header timeout, ended gracefully on stop.
async fn serve_io<I, S>(
    io: I,
    svc: S,
    limits: &ConnLimits,
    stop: &mut watch::Receiver<bool>,
    peer: std::net::SocketAddr,
) where
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
        .header_read_timeout(limits.header_read_timeout);
    let conn = builder.serve_connection(io, TowerToHyperService::new(svc));
    tokio::pin!(conn);
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
    }
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ConnLimits,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_client = Arc::new(PerClient::default());
    let mut refused_logged: Option<std::time::Instant> = None;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(v) => v,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ip = peer.ip();
        let exempt = limits.exempt.contains(&ip) || (limits.exempt_loopback && ip.is_loopback());
        let slot = if exempt {
            None
        } else {
            match per_client.take(super::limits::client_key_of(ip), limits.max_per_client) {
                Some(s) => Some(s),
                None => {
                    // Logged once a minute at most: a flood must not flood the log.
                    if refused_logged.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                        tracing::warn!(%ip, max = limits.max_per_client, "connection refused: too many open from one client");
                        refused_logged = Some(std::time::Instant::now());
                    }
                    drop(stream);
                    continue;
                }
            }
        };
        let app = app.clone();
        let mut stop = stop_rx.clone();
        let stats = limits.stats.clone();
        let limits = limits.clone();
        conns.spawn(async move {
            let _permit = permit;
            let _slot = slot;
            let svc = tower::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let app = app.clone();
                let counted = InFlight::new(&stats);
                async move {
                    let res = app.oneshot(req).await.map_err(|e: Infallible| match e {});
                    drop(counted);
                    res
                }
            });
            match &limits.tls {
                None => serve_io(TokioIo::new(stream), svc, &limits, &mut stop, peer).await,
                Some(tls) => {
                    // The handshake gets the same time as the headers do.
                    let hs = tokio::time::timeout(
                        limits.header_read_timeout,
                        tls.acceptor().accept(stream),
                    )
                    .await;
                    match hs {
                        Ok(Ok(s)) => serve_io(TokioIo::new(s), svc, &limits, &mut stop, peer).await,
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
