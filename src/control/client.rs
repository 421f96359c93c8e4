//! The client side of the control socket: one connection, many calls in flight (replies are
//! routed by id), and event subscriptions on the same connection. It implements
//! [`EngineApi`], so a face holding it cannot tell it from the engine in process.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::protocol::{ClientFrame, MAX_SERVER_FRAME, PROTOCOL, ServerFrame, line, software};
use super::server::{Frame, read_frame};
use super::socket_path;
use crate::domain::audit::Claimed;
use crate::engine::api::{Command, Reply};
use crate::engine::client::{Attachment, BoxFuture, EngineApi, Events};
use crate::engine::{ApiError, ErrorCode, Item};

/// Said once each: the text holds the cause, so no cause is chained after it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("control socket: {0}")]
    Io(std::io::Error),
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<std::io::Error> for ClientError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

type Pending = Arc<std::sync::Mutex<HashMap<u64, oneshot::Sender<Result<Reply, ApiError>>>>>;
/// Each subscription's channel, and how many items it missed while its buffer was full.
type Subs = Arc<std::sync::Mutex<HashMap<u64, (mpsc::Sender<Item>, u64)>>>;

/// How long the owner has to answer the handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Events buffered per subscription on the client side.
const SUB_BUFFER: usize = 4096;

/// A connection to the owner.
pub struct Client {
    writer: Mutex<OwnedWriteHalf>,
    pending: Pending,
    subs: Subs,
    next_id: AtomicU64,
    server_pid: u32,
    server: String,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

fn gone() -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "the owning process closed the connection",
    )
}

impl Client {
    /// `Ok(None)` when no owner listens (no socket, or a stale one).
    pub async fn connect(data_dir: &Path) -> Result<Option<Self>, ClientError> {
        let stream = match UnixStream::connect(socket_path(data_dir)).await {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let (read, mut write) = stream.into_split();
        let hello = ClientFrame::Hello {
            protocol: PROTOCOL,
            client: software(),
            operator: Claimed::from_env(),
        };
        write.write_all(&line(&hello)).await?;
        let mut reader = BufReader::new(read);
        // An owner that does not answer the handshake (hung, or not an owner) is an error
        // of its own, not a hang.
        let first = match tokio::time::timeout(
            HANDSHAKE_TIMEOUT,
            read_frame(&mut reader, MAX_SERVER_FRAME),
        )
        .await
        {
            Ok(Ok(Frame::Line(l))) => l,
            Ok(Ok(_)) => return Err(gone().into()),
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => {
                return Err(ApiError::new(
                    ErrorCode::Unavailable,
                    format!(
                        "the process owning {} did not answer within {HANDSHAKE_TIMEOUT:?}",
                        data_dir.display()
                    ),
                )
                .into());
            }
        };
        let (server_pid, server) = match serde_json::from_slice::<ServerFrame>(&first) {
            // The same build on both ends: the frames carry the engine's own types, which
            // grow from one version to the next.
            Ok(ServerFrame::Hello {
                protocol,
                server,
                pid,
            }) if protocol == PROTOCOL && server == software() => (pid, server),
            Ok(ServerFrame::Hello {
                protocol, server, ..
            }) => {
                return Err(ApiError::new(
                    ErrorCode::VersionMismatch,
                    format!(
                        "the running owner ({server}) speaks control protocol {protocol}, this client ({}) speaks {PROTOCOL}; use the same mcp-onboard version for both",
                        software()
                    ),
                )
                .into());
            }
            Ok(ServerFrame::Error { error, .. }) => return Err(error.into()),
            _ => {
                return Err(ApiError::new(
                    ErrorCode::VersionMismatch,
                    "the running owner answered the handshake in a form this version does not know; use the same mcp-onboard version for both",
                )
                .into());
            }
        };
        let pending: Pending = Default::default();
        let subs: Subs = Default::default();
        let reader = tokio::spawn(read_loop(reader, pending.clone(), subs.clone()));
        Ok(Some(Self {
            writer: Mutex::new(write),
            pending,
            subs,
            next_id: AtomicU64::new(1),
            server_pid,
            server,
            reader,
        }))
    }

    pub fn server_pid(&self) -> u32 {
        self.server_pid
    }

    async fn send(&self, frame: &ClientFrame) -> Result<(), ApiError> {
        let mut w = self.writer.lock().await;
        w.write_all(&line(frame)).await.map_err(|_| gone())
    }

    pub async fn call(&self, command: Command) -> Result<Reply, ApiError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, tx);
        if let Err(e) = self.send(&ClientFrame::Call { id, command }).await {
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            return Err(e);
        }
        rx.await.map_err(|_| gone())?
    }

    pub async fn subscribe(&self, since: Option<u64>) -> Result<mpsc::Receiver<Item>, ApiError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(SUB_BUFFER);
        self.subs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (tx, 0));
        self.send(&ClientFrame::Subscribe { id, since }).await?;
        Ok(rx)
    }
}

async fn read_loop(
    mut reader: BufReader<tokio::net::unix::OwnedReadHalf>,
    pending: Pending,
    subs: Subs,
) {
    loop {
        let raw = match read_frame(&mut reader, MAX_SERVER_FRAME).await {
            Ok(Frame::Line(l)) => l,
            Ok(Frame::TooLong) => continue,
            Ok(Frame::Eof) | Err(_) => break,
        };
        let Ok(frame) = serde_json::from_slice::<ServerFrame>(&raw) else {
            // Whatever it answers, its caller must hear something, not wait forever.
            let id = serde_json::from_slice::<serde_json::Value>(&raw)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_u64()));
            tracing::warn!(?id, "unreadable frame from the owner");
            if let Some(id) = id {
                let err = ApiError::new(
                    ErrorCode::Internal,
                    "the owner's answer could not be read by this version",
                );
                if let Some(tx) = pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id)
                {
                    let _ = tx.send(Err(err));
                }
                forward(&subs, id, Item::Lagged { missed: 1 });
            }
            continue;
        };
        match frame {
            ServerFrame::Reply { id, reply } => {
                if let Some(tx) = pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id)
                {
                    let _ = tx.send(Ok(reply));
                }
            }
            ServerFrame::Error { id, error } => {
                if let Some(tx) = pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id)
                {
                    let _ = tx.send(Err(error));
                } else {
                    tracing::warn!(id, error = %error.message, "error from the owner");
                }
            }
            ServerFrame::Event { id, event } => forward(&subs, id, Item::Event(event)),
            ServerFrame::Lagged { id, missed } => forward(&subs, id, Item::Lagged { missed }),
            ServerFrame::Subscribed { .. } | ServerFrame::Hello { .. } => {}
        }
    }
    // The owner went: every waiting call fails, every stream ends.
    for (_, tx) in pending.lock().unwrap_or_else(|p| p.into_inner()).drain() {
        let _ = tx.send(Err(gone()));
    }
    subs.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// Hand an item to its subscription; a subscriber too slow to keep up is told it lagged.
fn forward(subs: &Subs, id: u64, item: Item) {
    let mut guard = subs.lock().unwrap_or_else(|p| p.into_inner());
    let Some((tx, missed)) = guard.get_mut(&id) else {
        return;
    };
    if *missed > 0 {
        if tx.try_send(Item::Lagged { missed: *missed }).is_err() {
            *missed += 1;
            return;
        }
        *missed = 0;
    }
    match tx.try_send(item) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => *missed += 1,
        Err(mpsc::error::TrySendError::Closed(_)) => {
            guard.remove(&id);
        }
    }
}

impl EngineApi for Client {
    fn call(&self, command: Command) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(Client::call(self, command))
    }

    fn subscribe(&self, since: Option<u64>) -> BoxFuture<'_, Result<Events, ApiError>> {
        Box::pin(async move { Ok(Events::Remote(Client::subscribe(self, since).await?)) })
    }

    fn attachment(&self) -> Attachment {
        Attachment::Socket {
            pid: self.server_pid,
            version: self.server.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_of_the_owner_or_the_socket_is_said_once() {
        let refused = ClientError::from(ApiError::new(
            ErrorCode::Unavailable,
            "too many control connections",
        ));
        let io = ClientError::from(std::io::Error::other("broken pipe"));
        for (e, said) in [
            (refused, "too many control connections"),
            (io, "broken pipe"),
        ] {
            let text = format!("{:#}", anyhow::Error::from(e).context("cannot reach"));
            assert_eq!(text.matches(said).count(), 1, "{text}");
        }
    }
}
