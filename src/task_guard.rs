//! A panic inside a background task (a provisioning step, a token check, a webhook
//! delivery, a control-socket call) caught at the task's edge and turned into an error
//! that says what panicked, so the task releases what it holds and leaves its tenant
//! retryable instead of dying silently with its claim held.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

/// Run `fut`; a panic inside it comes back as `Err` with its message, logged as an error
/// naming `what`. The caller decides what the failure means for the work it stood for.
pub async fn catch_panic<F: Future>(what: &str, fut: F) -> Result<F::Output, String> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(v) => Ok(v),
        Err(payload) => {
            let why = message(payload.as_ref());
            tracing::error!(task = what, panic = %why, "a task panicked: what it held is released");
            Err(why)
        }
    }
}

fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_comes_back_as_its_message_and_a_value_as_itself() {
        assert_eq!(catch_panic("t", async { 7 }).await, Ok(7));
        let n = 3;
        let r: Result<(), String> = catch_panic("t", async move {
            if n == 3 {
                panic!("boom {n}");
            }
        })
        .await;
        assert_eq!(r, Err("boom 3".into()));
        let r: Result<(), String> = catch_panic("t", async { std::panic::panic_any(5u8) }).await;
        assert_eq!(r, Err("a panic without a message".into()));
    }
}
