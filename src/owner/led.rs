//! Background work that runs only while this node leads (see [`Leadership`]): started each
//! time the node becomes the leader, aborted as soon as it stops leading (its local
//! deadline passed, or another node took the lease) or leads under another epoch. A worker
//! started again picks up from what the store holds, never from what the aborted run had in
//! memory. On sled the node always leads: the work starts at once and runs until the owner
//! stops.

use std::future::Future;

use tokio::task::JoinHandle;

use crate::store::Leadership;

/// Run `work()` while this node leads; `following()` each time it does not (e.g. to say
/// so in `status`). The returned task ends the work with it when aborted.
pub fn spawn<W, WF, F, FF>(
    mut leadership: Leadership,
    what: &'static str,
    work: W,
    following: F,
) -> JoinHandle<()>
where
    W: Fn() -> WF + Send + 'static,
    WF: Future<Output = ()> + Send + 'static,
    F: Fn() -> FF + Send + 'static,
    FF: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            if !leadership.is_leader() {
                following().await;
                leadership.until(true).await;
            }
            let crate::store::Role::Leader { epoch, .. } = leadership.role() else {
                continue;
            };
            tracing::info!(worker = what, epoch, "this node leads: started");
            let running = Aborting(tokio::spawn(work()));
            // A takeover and a retaking seen as one change (a process paused past both)
            // still restart the work: it runs under one epoch only.
            leadership.until_not_under(epoch).await;
            drop(running);
            tracing::info!(worker = what, "this node no longer leads: stopped");
        }
    })
}

/// Nothing to do while following.
pub async fn nothing() {}

/// Aborts its task when dropped (with the task that holds it).
struct Aborting(JoinHandle<()>);

impl Drop for Aborting {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Role;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::watch;

    async fn eventually(what: &str, ok: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !ok() {
            assert!(tokio::time::Instant::now() < deadline, "{what}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn work_runs_only_while_leading_and_starts_again_when_leading_again() {
        let (tx, rx) = watch::channel(Role::Follower);
        let started = Arc::new(AtomicUsize::new(0));
        let running = Arc::new(AtomicUsize::new(0));
        let followed = Arc::new(AtomicUsize::new(0));
        let (s, r, f) = (started.clone(), running.clone(), followed.clone());
        let task = spawn(
            Leadership::new("n", rx),
            "test",
            move || {
                let (s, r) = (s.clone(), r.clone());
                async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    struct Live(Arc<AtomicUsize>);
                    impl Drop for Live {
                        fn drop(&mut self) {
                            self.0.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                    r.fetch_add(1, Ordering::SeqCst);
                    let _live = Live(r);
                    std::future::pending::<()>().await;
                }
            },
            move || {
                f.fetch_add(1, Ordering::SeqCst);
                nothing()
            },
        );
        eventually("told it follows", || followed.load(Ordering::SeqCst) == 1).await;
        assert_eq!(started.load(Ordering::SeqCst), 0, "started as a follower");
        let lead = Role::Leader {
            epoch: 1,
            until: None,
        };
        tx.send_replace(lead);
        eventually("started", || running.load(Ordering::SeqCst) == 1).await;
        tx.send_replace(Role::Follower);
        eventually("stopped", || running.load(Ordering::SeqCst) == 0).await;
        assert_eq!(followed.load(Ordering::SeqCst), 2);
        tx.send_replace(lead);
        eventually("started again", || running.load(Ordering::SeqCst) == 1).await;
        assert_eq!(started.load(Ordering::SeqCst), 2);
        // Another epoch without a follower's moment between (a process paused past a
        // takeover and a retaking): the work under the old epoch ends, a new one starts.
        tx.send_replace(Role::Leader {
            epoch: 2,
            until: None,
        });
        eventually("started under the new epoch", || {
            started.load(Ordering::SeqCst) == 3
        })
        .await;
        eventually("one run at a time", || running.load(Ordering::SeqCst) == 1).await;
        task.abort();
        eventually("ended with its task", || {
            running.load(Ordering::SeqCst) == 0
        })
        .await;
    }
}
