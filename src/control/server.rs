//! The owner's side of the control socket: one task per client; each call runs in its own
//! task and answers under its id, so a slow command does not hold up others; events of a
//! subscription are forwarded until the client goes. Every answer goes through one writer
//! task per connection. Bad frames get an error and the connection goes on.

use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;

use super::protocol::{
    ClientFrame, MAX_CLIENT_FRAME, Operator, PROTOCOL, ServerFrame, line, software,
};
use crate::engine::{ApiError, Engine, ErrorCode, Item};

/// Frames queued to one client before its subscriptions start to lag.
const OUTBOX: usize = 1024;

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

/// Accept clients until the task is dropped.
pub async fn serve(listener: UnixListener, engine: Arc<Engine>) {
    let me = own_uid();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let engine = engine.clone();
                tokio::spawn(async move {
                    if let Err(e) = handle(stream, engine, me).await {
                        tracing::debug!(error = %e, "control client ended");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "control socket accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
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

async fn handle(stream: UnixStream, engine: Arc<Engine>, me: u32) -> std::io::Result<()> {
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
    let mut reader = BufReader::new(read);
    // The handshake.
    let operator = match read_frame(&mut reader, MAX_CLIENT_FRAME).await? {
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
    let (out_tx, mut out_rx) = mpsc::channel::<ServerFrame>(OUTBOX);
    let writer = tokio::spawn(async move {
        while let Some(f) = out_rx.recv().await {
            if write.write_all(&line(&f)).await.is_err() {
                break;
            }
        }
    });
    let mut subs: std::collections::HashMap<u64, tokio::task::JoinHandle<()>> = Default::default();
    let res = serve_frames(&mut reader, &engine, &out_tx, &mut subs, peer, &operator).await;
    for (_, s) in subs {
        s.abort();
    }
    drop(out_tx);
    let _ = writer.await;
    res
}

async fn serve_frames<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    engine: &Arc<Engine>,
    out: &mpsc::Sender<ServerFrame>,
    subs: &mut std::collections::HashMap<u64, tokio::task::JoinHandle<()>>,
    peer: Peer,
    operator: &Operator,
) -> std::io::Result<()> {
    loop {
        let raw = match read_frame(reader, MAX_CLIENT_FRAME).await? {
            Frame::Eof => return Ok(()),
            Frame::TooLong => {
                let f = error(
                    0,
                    ErrorCode::InvalidInput,
                    format!("frame too large (at most {MAX_CLIENT_FRAME} bytes)"),
                );
                if out.send(f).await.is_err() {
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
                if out.send(f).await.is_err() {
                    return Ok(());
                }
                continue;
            }
        };
        match frame {
            ClientFrame::Hello { .. } => {
                let _ = out
                    .send(error(0, ErrorCode::InvalidInput, "hello was already said"))
                    .await;
            }
            ClientFrame::Call { id, command } => {
                if command.is_write() {
                    tracing::info!(
                        uid = peer.uid,
                        pid = ?peer.pid,
                        user = ?operator.user,
                        command = ?std::mem::discriminant(&command),
                        "control command"
                    );
                }
                let engine = engine.clone();
                let out = out.clone();
                let actor = crate::domain::model::Actor {
                    uid: Some(peer.uid),
                    pid: peer.pid,
                    user: operator.user.clone(),
                    sudo_user: operator.sudo_user.clone(),
                    ssh_client: operator.ssh_client.clone(),
                };
                tokio::spawn(async move {
                    let run = engine.execute_by(command, actor);
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
                    let _ = out.send(f).await;
                });
            }
            ClientFrame::Subscribe { id, since } => {
                let mut sub = engine.subscribe(since);
                let seq = engine.store().last_seq();
                let out = out.clone();
                let task = tokio::spawn(async move {
                    if out.send(ServerFrame::Subscribed { id, seq }).await.is_err() {
                        return;
                    }
                    while let Some(item) = sub.next().await {
                        let f = match item {
                            Item::Event(event) => ServerFrame::Event { id, event },
                            Item::Lagged { missed } => ServerFrame::Lagged { id, missed },
                        };
                        if out.send(f).await.is_err() {
                            return;
                        }
                    }
                });
                if let Some(old) = subs.insert(id, task) {
                    old.abort();
                }
            }
            ClientFrame::Unsubscribe { id } => {
                if let Some(t) = subs.remove(&id) {
                    t.abort();
                }
            }
        }
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
