//! The fan-out of stored events to this process's SSE clients.

use std::sync::Arc;

use booking_core::store::StoredEvent;
use tokio::sync::{Notify, broadcast};

/// Fan-out of stored events to this process's SSE clients.
#[derive(Clone)]
pub struct LiveHub {
    pub(super) tx: broadcast::Sender<StoredEvent>,
    pub(super) wake: Arc<Notify>,
}

impl Default for LiveHub {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self {
            tx,
            wake: Arc::new(Notify::new()),
        }
    }
}

impl LiveHub {
    /// Every booking event this process sees (local and, on PostgreSQL, remote).
    pub fn subscribe(&self) -> broadcast::Receiver<StoredEvent> {
        self.tx.subscribe()
    }
}
