//! The control socket: the process that owns the database serves the engine's Commands on
//! a Unix socket (`<data dir>/control.sock`, mode 0600) as newline-delimited JSON, so CLI
//! invocations and other faces can drive it while it runs.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::engine::{Command, Engine, Reply};

pub const SOCKET_NAME: &str = "control.sock";
const MAX_LINE: usize = 64 * 1024;

#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub command: Command,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Response {
    pub id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_NAME)
}

/// Bind the socket. Call only while holding the database lock: a leftover socket file from
/// a crashed owner is then known to be stale and is replaced.
pub fn bind(data_dir: &Path) -> std::io::Result<UnixListener> {
    let path = socket_path(data_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Accept clients until the task is dropped.
pub async fn serve(listener: UnixListener, engine: Arc<Engine>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let engine = engine.clone();
                tokio::spawn(async move {
                    if let Err(e) = handle(stream, engine).await {
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

async fn handle(stream: UnixStream, engine: Arc<Engine>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut line = String::new();
    loop {
        line.clear();
        let n = (&mut lines)
            .take(MAX_LINE as u64 + 1)
            .read_line(&mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        let response = if n > MAX_LINE {
            Response {
                id: 0,
                reply: None,
                error: Some("request too large".into()),
            }
        } else {
            match serde_json::from_str::<Request>(&line) {
                Ok(req) => match engine.execute(req.command).await {
                    Ok(reply) => Response {
                        id: req.id,
                        reply: Some(reply),
                        error: None,
                    },
                    Err(e) => Response {
                        id: req.id,
                        reply: None,
                        error: Some(e.to_string()),
                    },
                },
                Err(e) => Response {
                    id: 0,
                    reply: None,
                    error: Some(format!("bad request: {e}")),
                },
            }
        };
        let mut out = serde_json::to_vec(&response).map_err(std::io::Error::other)?;
        out.push(b'\n');
        write.write_all(&out).await?;
        if n > MAX_LINE {
            return Ok(());
        }
    }
}

/// A connection to the owner.
pub struct Client {
    reader: BufReader<tokio::net::unix::OwnedReadHalf>,
    writer: tokio::net::unix::OwnedWriteHalf,
    next_id: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the owning process answered: {0}")]
    Remote(String),
    #[error("control socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("control socket: unreadable answer: {0}")]
    Decode(String),
}

impl Client {
    /// `Ok(None)` when no owner listens (no socket, or a stale one).
    pub async fn connect(data_dir: &Path) -> std::io::Result<Option<Self>> {
        match UnixStream::connect(socket_path(data_dir)).await {
            Ok(stream) => {
                let (r, w) = stream.into_split();
                Ok(Some(Self {
                    reader: BufReader::new(r),
                    writer: w,
                    next_id: 1,
                }))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn call(&mut self, command: Command) -> Result<Reply, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        let mut out = serde_json::to_vec(&Request { id, command })
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        out.push(b'\n');
        self.writer.write_all(&out).await?;
        let mut line = String::new();
        if self.reader.read_line(&mut line).await? == 0 {
            return Err(ClientError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the owning process closed the connection",
            )));
        }
        let resp: Response =
            serde_json::from_str(&line).map_err(|e| ClientError::Decode(e.to_string()))?;
        match (resp.reply, resp.error) {
            (Some(r), _) => Ok(r),
            (None, Some(e)) => Err(ClientError::Remote(e)),
            (None, None) => Err(ClientError::Decode("empty answer".into())),
        }
    }
}
