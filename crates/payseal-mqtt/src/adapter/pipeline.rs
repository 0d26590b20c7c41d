//! The verification pipeline both adapters run received PUBLISHes through, so that the
//! network task only reads and forwards (spec/mqtt-adapters.md §2).
//!
//! The network task [`Feed`]s raw PUBLISHes (and the other events, to keep their place in
//! the order) into a bounded queue. Worker threads each take whatever is queued, up to
//! [`PipelineConfig::max_batch`] (no timer: at low rates a batch is one message), with a
//! ticket that fixes its place in the broker's order. A worker checks its batch under the
//! security lock, verifies the signatures without it (so the workers verify on every core at
//! once), then waits for its turn to commit the batch's replay windows (one store call) and
//! to queue the events, in order, into a bounded output queue. The adapter hands them to the
//! application from there, and acknowledges a PUBLISH only after its event was handed over.
//! Every queue is bounded: under a flood the network task waits, and junk costs no more than
//! its place in a queue.

use std::num::NonZeroUsize;
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::{mpsc, watch};

use crate::adapter::{ClientState, Incoming};
use crate::event::Event;

/// How a pipeline is sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Worker threads verifying batches at the same time (default: one per core, at most 4).
    pub workers: usize,
    /// The most PUBLISHes in one batch (default 64).
    pub max_batch: usize,
    /// Items waiting for a worker, and events waiting for the adapter (default 1024 each).
    pub queue: usize,
    /// For adapters whose client library acknowledges every PUBLISH by itself (paho): a
    /// message the replay store could not judge is reported once, then judged again every
    /// `retry` until the store answers, before any later message. `None` (default): it is
    /// reported, and the adapter leaves it unacknowledged for the broker to redeliver.
    pub retry: Option<std::time::Duration>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        PipelineConfig {
            workers: cores.clamp(1, 4),
            max_batch: 64,
            queue: 1024,
            retry: None,
        }
    }
}

/// What the network task hands to the pipeline.
#[derive(Debug)]
enum Input<T> {
    /// A received PUBLISH, still to open.
    Publish(T),
    /// Any other event, passed on in its place in the order.
    Event(Event),
}

/// What comes out of the pipeline, in the order it went in.
#[derive(Debug)]
pub struct Output<T> {
    /// The event to hand to the application.
    pub event: Event,
    /// The PUBLISH it came from (to acknowledge once the event is handed over, unless the
    /// event is a retryable rejection); `None` for events fed with [`Feed::event`].
    pub publish: Option<T>,
}

/// The pipeline stopped: its output was dropped, or a thread panicked holding the security
/// settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the verification pipeline stopped")]
pub struct Stopped;

/// The network task's end of a pipeline. Dropping it stops the workers once they have
/// drained what was fed.
#[derive(Debug)]
pub struct Feed<T> {
    tx: mpsc::Sender<Input<T>>,
    stopped: watch::Receiver<bool>,
}

// Not derived: a feed is cloned whatever `T` is.
impl<T> Clone for Feed<T> {
    fn clone(&self) -> Self {
        Feed {
            tx: self.tx.clone(),
            stopped: self.stopped.clone(),
        }
    }
}

impl<T> Feed<T> {
    /// Queues a received PUBLISH, waiting while the queue is full.
    ///
    /// # Errors
    /// [`Stopped`].
    pub async fn publish(&self, publish: T) -> Result<(), Stopped> {
        self.send(Input::Publish(publish)).await
    }

    /// Queues an event that needs no opening behind everything fed before it.
    ///
    /// # Errors
    /// [`Stopped`].
    pub async fn event(&self, event: Event) -> Result<(), Stopped> {
        self.send(Input::Event(event)).await
    }

    async fn send(&self, input: Input<T>) -> Result<(), Stopped> {
        let mut stopped = self.stopped.clone();
        // A stopped pipeline may still hold its (full) queue: do not wait on it forever.
        tokio::select! {
            sent = self.tx.send(input) => sent.map_err(|_| Stopped),
            _ = stopped.wait_for(|&stopped| stopped) => Err(Stopped),
        }
    }
}

/// How a worker sees one PUBLISH: its topic bytes, payload, retain flag and QoS.
pub type Inspect<T> = fn(&T) -> Incoming<'_>;

/// Starts a pipeline for `state`'s opener: its feed, and the events coming out in order.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use payseal_mqtt::adapter::{ClientState, Incoming, PipelineConfig, start_pipeline};
/// use payseal_mqtt::{Event, QoS, Security};
/// // (topic, payload) pairs as the "PUBLISH" type.
/// fn inspect(p: &(String, Vec<u8>)) -> Incoming<'_> {
///     (p.0.as_bytes(), &p.1, false, QoS::AtLeastOnce)
/// }
/// let state = ClientState::new(Security::new(), 1 << 16);
/// let (feed, mut out) = start_pipeline(state, inspect, PipelineConfig::default());
/// // Nothing is subscribed: refused as `not_subscribed`, in its place in the order.
/// feed.publish(("plant/1".into(), b"junk".to_vec())).await?;
/// feed.event(Event::Connected { session_present: false }).await?;
/// let first = out.recv().await.ok_or("stopped")?;
/// assert!(matches!(first.event, Event::Rejected { .. }) && first.publish.is_some());
/// let second = out.recv().await.ok_or("stopped")?;
/// assert!(matches!(second.event, Event::Connected { .. }) && second.publish.is_none());
/// # Ok(()) }
/// ```
pub fn start_pipeline<T: Send + 'static>(
    state: Arc<ClientState>,
    inspect: Inspect<T>,
    config: PipelineConfig,
) -> (Feed<T>, mpsc::Receiver<Output<T>>) {
    let (tx, rx) = mpsc::channel(config.queue.max(1));
    let (out_tx, out_rx) = mpsc::channel(config.queue.max(1));
    let (stop_tx, stopped) = watch::channel(false);
    let shared = Arc::new(Shared {
        input: Mutex::new(Queue { rx, next: 0 }),
        turn: Mutex::new(Turn {
            next: 0,
            stopped: false,
        }),
        turn_changed: Condvar::new(),
        stop: stop_tx,
        output: out_tx,
        state,
        inspect,
        max_batch: config.max_batch.max(1),
        retry: config.retry,
    });
    for i in 0..config.workers.max(1) {
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("payseal-verify-{i}"))
            .spawn(move || work(&shared));
        if let Err(e) = spawned {
            // Fewer workers is slower, not wrong; none at all stops the feed (its queue
            // closes with the last worker).
            tracing::error!("cannot start a verification worker: {e}");
        }
    }
    (Feed { tx, stopped }, out_rx)
}

struct Shared<T> {
    input: Mutex<Queue<T>>,
    turn: Mutex<Turn>,
    turn_changed: Condvar,
    stop: watch::Sender<bool>,
    output: mpsc::Sender<Output<T>>,
    state: Arc<ClientState>,
    inspect: Inspect<T>,
    max_batch: usize,
    retry: Option<std::time::Duration>,
}

/// The input queue and the ticket of the next batch taken from it (taken together, so
/// tickets follow the broker's order).
struct Queue<T> {
    rx: mpsc::Receiver<Input<T>>,
    next: u64,
}

/// Whose turn it is to commit and queue events.
struct Turn {
    next: u64,
    stopped: bool,
}

fn work<T>(shared: &Shared<T>) {
    while let Some((ticket, batch)) = take(shared) {
        if process(shared, ticket, batch).is_err() {
            stop(shared);
            return;
        }
    }
}

/// The next batch: waits for one item, then takes whatever else is queued, up to the bound.
/// `None` when the feed is gone and the queue empty.
fn take<T>(shared: &Shared<T>) -> Option<(u64, Vec<Input<T>>)> {
    let mut queue = shared.input.lock().ok()?;
    let first = queue.rx.blocking_recv()?;
    let mut batch = Vec::with_capacity(shared.max_batch.min(queue.rx.len() + 1));
    batch.push(first);
    while batch.len() < shared.max_batch {
        match queue.rx.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
    let ticket = queue.next;
    queue.next += 1;
    Some((ticket, batch))
}

fn process<T>(shared: &Shared<T>, ticket: u64, batch: Vec<Input<T>>) -> Result<(), Stopped> {
    let events = {
        let items: Vec<Incoming<'_>> = batch
            .iter()
            .filter_map(|input| match input {
                Input::Publish(publish) => Some((shared.inspect)(publish)),
                Input::Event(_) => None,
            })
            .collect();
        let prepared = if items.is_empty() {
            None
        } else {
            let mut prepared = shared.state.check_batch(&items).ok_or(Stopped)?;
            // The expensive stage, outside every lock: the workers verify in parallel.
            prepared.verify_signatures();
            Some(prepared)
        };
        wait_turn(shared, ticket)?;
        match prepared {
            Some(prepared) => shared.state.commit_batch(prepared, &items).ok_or(Stopped)?,
            None => Vec::new(),
        }
    };
    let mut events = events.into_iter();
    let mut retried = false;
    for input in batch {
        match input {
            Input::Publish(publish) => {
                let event = events.next().ok_or(Stopped)?;
                match shared.retry {
                    Some(every) if is_retryable(&event) => {
                        let event = judge_again(shared, &publish, event, every, retried)?;
                        retried = true;
                        send(shared, event, Some(publish))?;
                    }
                    _ => send(shared, event, Some(publish))?,
                }
            }
            Input::Event(event) => send(shared, event, None)?,
        }
    }
    let mut turn = shared.turn.lock().map_err(|_| Stopped)?;
    turn.next = ticket + 1;
    shared.turn_changed.notify_all();
    Ok(())
}

fn send<T>(shared: &Shared<T>, event: Event, publish: Option<T>) -> Result<(), Stopped> {
    shared
        .output
        .blocking_send(Output { event, publish })
        .map_err(|_| Stopped)
}

fn is_retryable(event: &Event) -> bool {
    matches!(event, Event::Rejected { reason, .. } if reason.is_retryable())
}

/// A PUBLISH the store could not judge, in its turn: judged again at once if an earlier one
/// of the batch was retried (the store may be back), else reported once and judged again
/// every `every` until the store answers. Returns the verdict.
fn judge_again<T>(
    shared: &Shared<T>,
    publish: &T,
    unjudged: Event,
    every: std::time::Duration,
    at_once: bool,
) -> Result<Event, Stopped> {
    let item = [(shared.inspect)(publish)];
    let judge = || -> Result<Event, Stopped> {
        let mut prepared = shared.state.check_batch(&item).ok_or(Stopped)?;
        prepared.verify_signatures();
        let events = shared.state.commit_batch(prepared, &item).ok_or(Stopped)?;
        events.into_iter().next().ok_or(Stopped)
    };
    if at_once {
        let event = judge()?;
        if !is_retryable(&event) {
            return Ok(event);
        }
    }
    send(shared, unjudged, None)?;
    loop {
        if shared.state.is_closing() {
            return Err(Stopped);
        }
        std::thread::sleep(every);
        let event = judge()?;
        if !is_retryable(&event) {
            return Ok(event);
        }
    }
}

/// Waits until every earlier batch has queued its events.
fn wait_turn<T>(shared: &Shared<T>, ticket: u64) -> Result<(), Stopped> {
    let mut turn = shared.turn.lock().map_err(|_| Stopped)?;
    while turn.next != ticket {
        if turn.stopped {
            return Err(Stopped);
        }
        turn = shared.turn_changed.wait(turn).map_err(|_| Stopped)?;
    }
    Ok(())
}

/// Stops every worker waiting for its turn (the one that failed never takes it), and the
/// feed.
fn stop<T>(shared: &Shared<T>) {
    if let Ok(mut turn) = shared.turn.lock() {
        turn.stopped = true;
    }
    shared.turn_changed.notify_all();
    shared.stop.send_replace(true);
}
