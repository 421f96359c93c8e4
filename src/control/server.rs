//! The owner's side of the control socket: one task per client; each call runs in its own
//! task and answers under its id, so a slow command does not hold up others; events of a
//! subscription are forwarded until the client goes. Every answer goes through one bounded
//! queue and writer task per connection ([`super::outbox`]): a client that stops reading
//! is dropped, what all clients hold together is bounded, and connections and
//! subscriptions are capped (connections in all too). A client that does not say hello in
//! time is closed. Bad frames get an error and the connection goes on.

use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, watch};

use super::outbox::{ControlLimits, ControlStats, Gone, Outbox, Slot, Totals};
use super::protocol::{ClientFrame, MAX_CLIENT_FRAME, PROTOCOL, ServerFrame, line, software};
use crate::domain::audit::{Claimed, Operator};
use crate::engine::{ApiError, Engine, ErrorCode, Item};

/// A peer as the kernel reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    pub pid: Option<i32>,
}

/// One line read from a client.
pub(super) enum Frame {
    Line(Vec<u8>),
    /// Longer than the limit; the rest of it was skipped.
    TooLong,
    Eof,
}

/// Read one line of at most `max` bytes; a longer one is skipped to its end.
pub(super) async fn read_frame<R: AsyncBufRead + Unpin>(
    r: &mut R,
    max: usize,
) -> std::io::Result<Frame> {
    let mut buf = Vec::new();
    let mut too_long = false;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(if too_long {
                Frame::TooLong
            } else if buf.is_empty() {
                Frame::Eof
            } else {
                Frame::Line(buf)
            });
        }
        let (part, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if !too_long {
            if buf.len() + part.len() > max {
                too_long = true;
                buf = Vec::new();
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = done.unwrap_or(chunk.len());
        r.consume(used);
        if done.is_some() {
            return Ok(if too_long {
                Frame::TooLong
            } else {
                Frame::Line(buf)
            });
        }
    }
}

fn own_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Accept clients until the task is dropped, with the default limits.
pub async fn serve(listener: UnixListener, engine: Arc<Engine>) {
    serve_with(listener, engine, ControlLimits::default(), Arc::default()).await
}

/// Accept clients until the task is dropped; `stats` tells what they hold.
pub async fn serve_with(
    listener: UnixListener,
    engine: Arc<Engine>,
    limits: ControlLimits,
    stats: Arc<ControlStats>,
) {
    let me = own_uid();
    let totals = Totals::new(&limits);
    let limits = Arc::new(limits);
    let mut errors = crate::http::accept::AcceptErrors::default();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                errors.ok();
                let (engine, limits) = (engine.clone(), limits.clone());
                let shared = (stats.clone(), totals.clone());
                tokio::spawn(async move {
                    if let Err(e) = handle(stream, engine, me, &limits, shared).await {
                        tracing::debug!(error = %e, "control client ended");
                    }
                });
            }
            Err(e) => errors.failed("control socket", &e, || {}).await,
        }
    }
}

fn error(id: u64, code: ErrorCode, message: impl Into<String>) -> ServerFrame {
    ServerFrame::Error {
        id,
        error: ApiError::new(code, message),
    }
}

/// A first frame from a client of the first release (no handshake) gets an answer in the
/// shape that client reads, saying what to do.
fn legacy_answer(raw: &[u8]) -> Option<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_slice(raw).ok()?;
    if v.get("type").is_some() || v.get("command").is_none() {
        return None;
    }
    let id = v.get("id").and_then(|i| i.as_u64()).unwrap_or(0);
    Some(line(&serde_json::json!({
        "id": id,
        "error": format!(
            "version mismatch: the running owner is {} (control protocol {PROTOCOL}) and this client predates the handshake; use the same mcp-onboard version for both",
            software()
        ),
    })))
}

async fn handle(
    stream: UnixStream,
    engine: Arc<Engine>,
    me: u32,
    limits: &ControlLimits,
    (stats, totals): (Arc<ControlStats>, Totals),
) -> std::io::Result<()> {
    let stats = &stats;
    let cred = stream.peer_cred()?;
    let peer = Peer {
        uid: cred.uid(),
        pid: cred.pid(),
    };
    let (read, mut write) = stream.into_split();
    if peer.uid != me && peer.uid != 0 {
        tracing::warn!(uid = peer.uid, pid = ?peer.pid, "control client of another user refused");
        let f = error(
            0,
            ErrorCode::Unavailable,
            format!("this owner serves only uid {me} and root"),
        );
        write.write_all(&line(&f)).await?;
        return Ok(());
    }
    let _slot = match stats.take_connection(peer.uid, limits) {
        Ok(slot) => slot,
        Err(why) => {
            tracing::warn!(uid = peer.uid, pid = ?peer.pid, "control client refused: {why}");
            let f = error(0, ErrorCode::Unavailable, why);
            write.write_all(&line(&f)).await?;
            return Ok(());
        }
    };
    let mut reader = BufReader::new(read);
    // The handshake, within its time: a silent client would hold a descriptor.
    let hello = tokio::time::timeout(
        limits.hello_within,
        read_frame(&mut reader, MAX_CLIENT_FRAME),
    );
    let Ok(first) = hello.await else {
        tracing::debug!(uid = peer.uid, pid = ?peer.pid, "control client closed: no hello in time");
        return Ok(());
    };
    let operator = match first? {
        Frame::Eof => return Ok(()),
        Frame::TooLong => {
            let f = error(0, ErrorCode::InvalidInput, "the hello frame is too large");
            write.write_all(&line(&f)).await?;
            return Ok(());
        }
        Frame::Line(raw) => match serde_json::from_slice::<ClientFrame>(&raw) {
            Ok(ClientFrame::Hello {
                protocol,
                client,
                operator,
            }) => {
                if protocol != PROTOCOL {
                    let f = error(
                        0,
                        ErrorCode::VersionMismatch,
                        format!(
                            "this client ({client}) speaks control protocol {protocol}, the running owner ({}, pid {}) speaks {PROTOCOL}; use the same mcp-onboard version for both",
                            software(),
                            std::process::id()
                        ),
                    );
                    write.write_all(&line(&f)).await?;
                    return Ok(());
                }
                operator
            }
            _ => {
                let out = legacy_answer(&raw).unwrap_or_else(|| {
                    line(&error(
                        0,
                        ErrorCode::VersionMismatch,
                        format!(
                            "expected a hello frame first (control protocol {PROTOCOL}, {})",
                            software()
                        ),
                    ))
                });
                write.write_all(&out).await?;
                return Ok(());
            }
        },
    };
    let hello = ServerFrame::Hello {
        protocol: PROTOCOL,
        server: software(),
        pid: std::process::id(),
    };
    write.write_all(&line(&hello)).await?;
    let calls_of_all = totals.calls.clone();
    let (out, dropped, writer) = Outbox::start(write, limits, (stats.clone(), totals), peer.uid);
    let mut conn = Conn {
        engine: &engine,
        out,
        dropped,
        calls: Arc::new(Semaphore::new(limits.calls_in_flight.max(1))),
        calls_of_all,
        subs: Default::default(),
        peer,
        operator: &operator,
        limits,
        stats,
    };
    let res = conn.serve_frames(&mut reader).await;
    drop(conn);
    let _ = writer.await;
    res
}

/// One client's connection after the handshake.
struct Conn<'a> {
    engine: &'a Arc<Engine>,
    out: Outbox,
    /// Turns true when the client is dropped (or its writer ends).
    dropped: watch::Receiver<bool>,
    /// Calls running at once, of this client and of all.
    calls: Arc<Semaphore>,
    calls_of_all: Arc<Semaphore>,
    subs: std::collections::HashMap<u64, Subscription>,
    peer: Peer,
    operator: &'a Claimed,
    limits: &'a ControlLimits,
    stats: &'a Arc<ControlStats>,
}

impl Conn<'_> {
    /// Read the next frame, unless the client is dropped first.
    async fn next_frame<R: AsyncBufRead + Unpin>(
        &mut self,
        reader: &mut R,
    ) -> std::io::Result<Frame> {
        tokio::select! {
            f = read_frame(reader, MAX_CLIENT_FRAME) => f,
            _ = self.dropped.wait_for(|d| *d) => Ok(Frame::Eof),
        }
    }

    async fn serve_frames<R: AsyncBufRead + Unpin>(
        &mut self,
        reader: &mut R,
    ) -> std::io::Result<()> {
        loop {
            let raw = match self.next_frame(reader).await? {
                Frame::Eof => return Ok(()),
                Frame::TooLong => {
                    let f = error(
                        0,
                        ErrorCode::InvalidInput,
                        format!("frame too large (at most {MAX_CLIENT_FRAME} bytes)"),
                    );
                    if self.out.send(&f).await.is_err() {
                        return Ok(());
                    }
                    continue;
                }
                Frame::Line(raw) => raw,
            };
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let frame = match serde_json::from_slice::<ClientFrame>(&raw) {
                Ok(f) => f,
                Err(e) => {
                    let id = serde_json::from_slice::<serde_json::Value>(&raw)
                        .ok()
                        .and_then(|v| v.get("id").and_then(|i| i.as_u64()))
                        .unwrap_or(0);
                    let f = error(id, ErrorCode::InvalidInput, format!("malformed frame: {e}"));
                    if self.out.send(&f).await.is_err() {
                        return Ok(());
                    }
                    continue;
                }
            };
            let sent = match frame {
                ClientFrame::Hello { .. } => {
                    self.out
                        .send(&error(0, ErrorCode::InvalidInput, "hello was already said"))
                        .await
                }
                ClientFrame::Call { id, command } => self.call(id, command).await,
                ClientFrame::Subscribe { id, since } => self.subscribe(id, since).await,
                ClientFrame::Unsubscribe { id } => {
                    self.subs.remove(&id);
                    Ok(())
                }
            };
            if sent.is_err() {
                return Ok(());
            }
        }
    }

    /// Run a call in a task of its own, once fewer than the limits (the client's, and all
    /// clients') are running (until then the client's next frames stay unread).
    async fn call(&mut self, id: u64, command: crate::engine::Command) -> Result<(), Gone> {
        let (own, all) = (self.calls.clone(), self.calls_of_all.clone());
        let both = async move {
            let own = own.acquire_owned().await?;
            Ok::<_, tokio::sync::AcquireError>((own, all.acquire_owned().await?))
        };
        let permit = tokio::select! {
            p = both => p.map_err(|_| Gone)?,
            _ = self.dropped.wait_for(|d| *d) => return Err(Gone),
        };
        let (peer, operator) = (self.peer, self.operator);
        if command.is_write() {
            tracing::info!(
                uid = peer.uid,
                pid = ?peer.pid,
                user = ?operator.user,
                command = ?std::mem::discriminant(&command),
                "control command"
            );
        }
        let engine = self.engine.clone();
        let out = self.out.clone();
        let actor = Operator::new(peer.uid, peer.pid, operator.clone());
        tokio::spawn(async move {
            let run = engine.run(crate::domain::actor::Actor::Operator(actor), command);
            let f = match crate::task_guard::catch_panic("control call", run).await {
                Ok(Ok(reply)) => ServerFrame::Reply { id, reply },
                Ok(Err(e)) => ServerFrame::Error {
                    id,
                    error: e.into(),
                },
                Err(why) => error(
                    id,
                    ErrorCode::Internal,
                    format!("an internal error stopped the command ({why}; logged)"),
                ),
            };
            let _ = out.send(&f).await;
            drop(permit);
        });
        Ok(())
    }

    /// Forward the engine's events under `id`; an event that finds the client's queue
    /// full is counted, and the client told how many it missed once there is room.
    async fn subscribe(&mut self, id: u64, since: Option<u64>) -> Result<(), Gone> {
        // The same id again replaces its subscription.
        self.subs.remove(&id);
        let max = self.limits.subscriptions_per_uid;
        let Some(slot) = self.stats.take(self.peer.uid, true, max) else {
            let why = format!(
                "too many subscriptions of uid {} (at most {max}): unsubscribe some first",
                self.peer.uid
            );
            return self.out.send(&error(id, ErrorCode::Unavailable, why)).await;
        };
        let mut sub = self.engine.subscribe(since);
        let seq = self.engine.last_seq();
        let out = self.out.clone();
        let task = tokio::spawn(async move {
            if out
                .send(&ServerFrame::Subscribed { id, seq })
                .await
                .is_err()
            {
                return;
            }
            let mut missed = 0u64;
            while let Some(item) = sub.next().await {
                let frame = match item {
                    Item::Event(event) => Some(ServerFrame::Event { id, event }),
                    Item::Lagged { missed: m } => {
                        missed += m;
                        None
                    }
                };
                if missed > 0 {
                    match out.try_send(&ServerFrame::Lagged { id, missed }) {
                        Ok(true) => missed = 0,
                        Ok(false) => {
                            missed += u64::from(frame.is_some());
                            continue;
                        }
                        Err(Gone) => return,
                    }
                }
                if let Some(f) = frame {
                    match out.try_send(&f) {
                        Ok(true) => {}
                        Ok(false) => missed += 1,
                        Err(Gone) => return,
                    }
                }
            }
        });
        self.subs.insert(id, Subscription { task, _slot: slot });
        Ok(())
    }
}

/// A subscription's forwarding task, counted against its uid; dropping it ends both.
struct Subscription {
    task: tokio::task::JoinHandle<()>,
    _slot: Slot,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_are_bounded_and_a_long_one_is_skipped_whole() {
        let input = format!("short\n{}\nnext\nlast", "x".repeat(100));
        let mut r = BufReader::with_capacity(8, input.as_bytes());
        assert!(matches!(read_frame(&mut r, 10).await.unwrap(), Frame::Line(l) if l == b"short"));
        assert!(matches!(
            read_frame(&mut r, 10).await.unwrap(),
            Frame::TooLong
        ));
        assert!(matches!(read_frame(&mut r, 10).await.unwrap(), Frame::Line(l) if l == b"next"));
        assert!(matches!(read_frame(&mut r, 10).await.unwrap(), Frame::Line(l) if l == b"last"));
        assert!(matches!(read_frame(&mut r, 10).await.unwrap(), Frame::Eof));
    }

    #[test]
    fn an_old_client_is_answered_in_its_own_shape() {
        let out = legacy_answer(br#"{"id":7,"command":{"command":"status"}}"#).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["id"], 7);
        assert!(v["error"].as_str().unwrap().contains("version mismatch"));
        assert!(legacy_answer(br#"{"type":"call","id":1}"#).is_none());
    }
}
