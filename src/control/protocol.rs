//! The control protocol, version [`PROTOCOL`]: one JSON object per line each way.
//!
//! The client speaks first, with `hello`; the owner answers `hello` (or an `error` with
//! code `version_mismatch`, then closes). After that the client sends `call` and
//! `subscribe` frames with ids of its choosing; the owner answers each `call` with a `reply`
//! or an `error` carrying the same id, in any order, and streams a subscription's `event`
//! and `lagged` frames under its id. A frame that cannot be read, names nothing known or is
//! longer than [`MAX_CLIENT_FRAME`] gets an `error` (id 0 when its id is unknown) and the
//! connection goes on.
//!
//! ```text
//! > {"type":"hello","protocol":1,"client":"mcp-onboard 0.2.0"}
//! < {"type":"hello","protocol":1,"server":"mcp-onboard 0.2.0","pid":4121}
//! > {"type":"call","id":1,"command":{"command":"status"}}
//! < {"type":"reply","id":1,"reply":{"reply":"status",...}}
//! > {"type":"subscribe","id":2}
//! < {"type":"subscribed","id":2,"seq":1041}
//! < {"type":"event","id":2,"event":{"seq":1042,"kind":"tenant_changed",...}}
//! ```

use serde::{Deserialize, Serialize};

use crate::domain::audit::Claimed;
use crate::engine::api::{Command, Reply};
use crate::engine::{ApiError, Event};

pub const PROTOCOL: u32 = 1;
/// Longest frame the owner reads; replies (a long tenant list) may be longer.
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;
/// Longest frame a client reads.
pub const MAX_SERVER_FRAME: usize = 512 * 1024 * 1024;

pub fn software() -> String {
    format!("mcp-onboard {}", env!("CARGO_PKG_VERSION"))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Hello {
        protocol: u32,
        client: String,
        #[serde(default)]
        operator: Claimed,
    },
    Call {
        id: u64,
        command: Command,
    },
    Subscribe {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<u64>,
    },
    Unsubscribe {
        id: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Hello {
        protocol: u32,
        server: String,
        pid: u32,
    },
    Reply {
        id: u64,
        reply: Reply,
    },
    Error {
        id: u64,
        error: ApiError,
    },
    Subscribed {
        id: u64,
        seq: u64,
    },
    Event {
        id: u64,
        event: Box<Event>,
    },
    /// The subscription fell behind and missed `missed` events: refetch a snapshot.
    Lagged {
        id: u64,
        missed: u64,
    },
}

/// Serialize one frame as a line.
pub fn line<T: Serialize>(frame: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec(frame).unwrap_or_else(|_| b"{}".to_vec());
    out.push(b'\n');
    out
}
