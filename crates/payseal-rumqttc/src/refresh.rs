//! Periodic will refresh ([`Will::refresh_every`](payseal_mqtt::Will::refresh_every),
//! spec/mqtt-adapters.md §4): a timer task asks for a clean DISCONNECT (the broker discards
//! the old will without publishing it); the driver then reconnects at once with a freshly
//! sealed will and reports neither the disconnect nor the reconnect.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use payseal_mqtt::adapter::ClientState;

/// The refresh state the driver and the timer task share.
#[derive(Debug, Default)]
pub(crate) struct WillRefresh {
    /// A connection is up (set at CONNACK, cleared at a connection error).
    connected: AtomicBool,
    /// A refresh DISCONNECT was asked for and its reconnect has not completed yet.
    refreshing: AtomicBool,
    /// The driver ended: the timer task stops.
    stopped: AtomicBool,
}

impl WillRefresh {
    /// Starts the timer task if `state` has a will with a refresh interval. `disconnect`
    /// queues a clean DISCONNECT behind the requests already queued (acks among them); false
    /// if it could not.
    pub(crate) fn start(
        state: &Arc<ClientState>,
        disconnect: impl Fn() -> bool + Send + 'static,
    ) -> Arc<Self> {
        let refresh = Arc::new(WillRefresh::default());
        if let Some(every) = state.will_refresh() {
            let state = Arc::clone(state);
            let timer = Arc::clone(&refresh);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    if timer.stopped.load(Ordering::SeqCst) || state.is_closing() {
                        return;
                    }
                    if !timer.connected.load(Ordering::SeqCst)
                        || timer.refreshing.swap(true, Ordering::SeqCst)
                    {
                        // Not connected (the reconnect seals a fresh will anyway), or the
                        // last refresh is still under way.
                        continue;
                    }
                    tracing::debug!("refreshing the sealed will: clean disconnect, reconnect");
                    if !disconnect() {
                        timer.refreshing.store(false, Ordering::SeqCst);
                    }
                }
            });
        }
        refresh
    }

    /// At CONNACK: whether this connection completes a refresh (then it is not reported).
    pub(crate) fn connected(&self) -> bool {
        self.connected.store(true, Ordering::SeqCst);
        self.refreshing.swap(false, Ordering::SeqCst)
    }

    /// At a connection error: whether it is the end of a connection closed for a refresh
    /// (then it is not reported and the reconnect follows at once). A failed reconnect after
    /// a refresh is reported as usual.
    pub(crate) fn connection_ended(&self) -> bool {
        let was_connected = self.connected.swap(false, Ordering::SeqCst);
        if !self.refreshing.load(Ordering::SeqCst) {
            return false;
        }
        if was_connected {
            return true;
        }
        self.refreshing.store(false, Ordering::SeqCst);
        false
    }

    /// The driver ended.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

/// Stops the timer task when the driver returns.
pub(crate) struct StopOnDrop(pub(crate) Arc<WillRefresh>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_is_silent_but_a_failed_reconnect_after_it_is_reported() {
        let refresh = WillRefresh::default();
        assert!(!refresh.connected(), "a first connection is reported");
        refresh.refreshing.store(true, Ordering::SeqCst);
        assert!(
            refresh.connection_ended(),
            "the refresh DISCONNECT is silent"
        );
        assert!(refresh.connected(), "so is its reconnect");
        assert!(!refresh.connection_ended(), "a later loss is reported");

        refresh.connected();
        refresh.refreshing.store(true, Ordering::SeqCst);
        assert!(refresh.connection_ended());
        assert!(
            !refresh.connection_ended(),
            "the failed reconnect is reported"
        );
        assert!(!refresh.connected(), "and so is the next connection");
    }
}
