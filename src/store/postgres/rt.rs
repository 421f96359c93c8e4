//! The backend's own async runtime, on threads of its own: the driver's connections live
//! there, and every call into the database is made from a thread that may block (the
//! writer's, a reader's blocking thread) and waits there for the answer, never on a worker
//! of the engine's runtime. [`Rt::wait`] runs a future to its end on the calling thread
//! with this runtime's reactor and timers: it works on any thread but the runtime's own.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::store::StoreError;

/// The runtime; shut down (without waiting) when the last handle goes.
pub(super) struct Rt {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    /// A runtime of the one thread that waits on it (see [`Rt::local`]).
    local: bool,
}

struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl Rt {
    pub fn start() -> Result<Arc<Self>, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("store-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Closed(format!("cannot start the database runtime: {e}")))?;
        Ok(Arc::new(Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            local: false,
        }))
    }

    /// A runtime run only by the thread that waits on it (the writer's): its
    /// connection's task, IO and timers all run there, while it waits, so that a round
    /// trip to the server wakes no other thread. Never shared with another thread.
    pub fn local() -> Result<Arc<Self>, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Closed(format!("cannot start the writer's runtime: {e}")))?;
        Ok(Arc::new(Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            local: true,
        }))
    }

    /// Run `f` to its end on this thread (it blocks), its IO and timers served by the
    /// backend's runtime (a local one: by this thread itself).
    pub fn wait<F: Future>(&self, f: F) -> F::Output {
        if self.local
            && let Some(rt) = &self.runtime
        {
            return rt.block_on(f);
        }
        let _entered = self.handle.enter();
        let mut f = std::pin::pin!(f);
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }

    /// Run `f` on the runtime itself (a connection's own task).
    pub fn spawn<F>(&self, f: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.handle.spawn(f);
    }
}

impl Drop for Rt {
    fn drop(&mut self) {
        // Dropped from anywhere (an async task too): never wait for the threads here.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
