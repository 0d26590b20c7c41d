//! The task behind every client: connects and reconnects (sealing the will afresh each
//! time), restores subscriptions, and forwards every incoming PUBLISH, raw, to the
//! verification pipeline (worker threads, see `payseal_mqtt::adapter::start_pipeline`); a
//! second task hands the pipeline's events to the application, in order, waiting when the
//! application is behind.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use payseal_mqtt::adapter::{
    ClientState, Feed, Incoming as Inspected, Output, PipelineConfig, Stopped, must_restore,
    start_pipeline, trace_event,
};
use payseal_mqtt::{Event, QoS};
use tokio::sync::mpsc;

use crate::link::{Incoming, Link};
use crate::waiters::SubscribeWaiters;

/// A received PUBLISH on its way through the pipeline.
struct Received {
    topic: String,
    payload: Vec<u8>,
    retain: bool,
    qos: QoS,
}

fn inspect(received: &Received) -> Inspected<'_> {
    (
        received.topic.as_bytes(),
        &received.payload,
        received.retain,
        received.qos,
    )
}

/// The pipeline's feed, for the events the driver makes itself (they keep their place among
/// the messages).
#[derive(Clone)]
struct Traced(Feed<Received>);

impl Traced {
    async fn send(&self, event: Event) -> Result<(), Stopped> {
        self.0.event(event).await
    }
}

/// Events waiting for the application before the driver pauses (back-pressure, not loss).
pub(crate) const EVENT_QUEUE: usize = 4096;
/// Wait before trying to reconnect after a connection error.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);
/// Wait before judging again a message the replay store could not judge.
const RETRY_DELAY: Duration = Duration::from_millis(500);

/// The driver stops: the application disconnected or dropped the event stream.
struct Stop;

/// How a connection ended without stopping the driver.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// It was lost (reported to the application).
    Lost,
    /// The driver closed it cleanly to refresh the will (spec/mqtt-adapters.md §4).
    Refresh,
}

/// How long a refresh DISCONNECT lets in-flight QoS 1 and 2 transfers complete.
const REFRESH_DISCONNECT_GRACE: Duration = Duration::from_secs(2);

/// Runs until the application disconnects or drops the event stream; the client is closed
/// from then on.
pub(crate) async fn drive(
    link: Arc<Link>,
    state: Arc<ClientState>,
    waiters: Arc<SubscribeWaiters>,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    events: mpsc::Sender<Event>,
) {
    let config = PipelineConfig {
        retry: Some(RETRY_DELAY),
        ..PipelineConfig::default()
    };
    let (feed, outputs) = start_pipeline(Arc::clone(&state), inspect, config);
    tokio::spawn(deliver_all(outputs, events));
    run(link, Arc::clone(&state), &waiters, incoming, Traced(feed)).await;
    state.set_closing();
    waiters.close();
}

/// Hands the pipeline's events to the application, in order. (A message the replay store
/// could not judge is reported once and judged again by the pipeline until the store
/// answers, before any later message: nothing that paho acknowledged is lost.)
async fn deliver_all(mut outputs: mpsc::Receiver<Output<Received>>, events: mpsc::Sender<Event>) {
    while let Some(Output { event, .. }) = outputs.recv().await {
        trace_event(&event);
        if events.send(event).await.is_err() {
            return;
        }
    }
}

async fn run(
    link: Arc<Link>,
    state: Arc<ClientState>,
    waiters: &Arc<SubscribeWaiters>,
    mut incoming: mpsc::UnboundedReceiver<Incoming>,
    events: Traced,
) {
    let mut connected_before = false;
    let mut warned_backlog = EVENT_QUEUE;
    let mut refreshed = false;
    loop {
        if state.is_closing() {
            return;
        }
        let timeout = link.options.connect_timeout + Duration::from_secs(1);
        match link.connect(&state, timeout).await {
            Ok(connack) => {
                state.set_broker_max_packet_size(connack.broker_max_packet_size);
                // The first connection and a lost session both need the remembered filters
                // (subscribe() only records them while disconnected).
                if !connected_before || must_restore(connected_before, connack.session_present) {
                    restore_subscriptions(&link, &state, waiters, &events);
                }
                connected_before = true;
                // The reconnect of a will refresh is not reported (nor was its disconnect).
                let connected = Event::Connected {
                    session_present: connack.session_present,
                };
                if !refreshed && events.send(connected).await.is_err() {
                    break;
                }
                refreshed = false;
                let Ok(lost) =
                    process(&link, &state, &mut incoming, &events, &mut warned_backlog).await
                else {
                    break;
                };
                if lost == Ended::Refresh {
                    // Reconnect at once with a freshly sealed will, reporting nothing.
                    refreshed = true;
                    continue;
                }
            }
            Err(error) => {
                if state.is_closing() {
                    return;
                }
                refreshed = false;
                if events.send(Event::Disconnected { error }).await.is_err() {
                    break;
                }
            }
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
    // The application dropped the event stream or disconnected: leave cleanly.
    if !state.is_closing() {
        state.set_closing();
        let _ = link.client.disconnect(None).await;
    }
}

/// Handles incoming items until the connection is lost or closed for a will refresh (`Ok`),
/// or the driver must stop.
async fn process(
    link: &Link,
    state: &ClientState,
    incoming: &mut mpsc::UnboundedReceiver<Incoming>,
    events: &Traced,
    warned_backlog: &mut usize,
) -> Result<Ended, Stop> {
    let every = state.will_refresh();
    let mut refresh_at = every.map(|every| tokio::time::Instant::now() + every);
    loop {
        let item = tokio::select! {
            item = incoming.recv() => item,
            () = sleep_until(refresh_at) => {
                if refresh_will(link, state).await {
                    return Ok(Ended::Refresh);
                }
                refresh_at = every.map(|every| tokio::time::Instant::now() + every);
                continue;
            }
        };
        let Some(item) = item else {
            return Err(Stop);
        };
        let backlog = link.backlog.fetch_sub(1, Ordering::Relaxed);
        if backlog > *warned_backlog {
            *warned_backlog = backlog.saturating_mul(2);
            tracing::warn!(
                backlog,
                "the application is behind: received messages are queueing in the adapter"
            );
        }
        match item {
            Incoming::Publish {
                topic,
                payload,
                retain,
                qos,
            } => {
                let received = Received {
                    topic,
                    payload,
                    retain,
                    qos,
                };
                // Raw to the pipeline (waiting while it is full).
                events.0.publish(received).await.map_err(|_| Stop)?;
            }
            Incoming::Refused { topic, reason } => {
                events
                    .send(Event::Rejected { topic, reason })
                    .await
                    .map_err(|_| Stop)?;
            }
            Incoming::Closed => return Err(Stop),
            Incoming::Lost => {
                if state.is_closing() {
                    return Err(Stop);
                }
                // paho may report one loss twice (MQTT 5 DISCONNECT, then the socket).
                if link.client.is_connected() {
                    continue;
                }
                let lost = Event::Disconnected {
                    error: link.lost_reason(),
                };
                events.send(lost).await.map_err(|_| Stop)?;
                return Ok(Ended::Lost);
            }
        }
    }
}

/// Sleeps until `at`, or forever without a refresh interval.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Closes the connection cleanly (normal DISCONNECT: the broker discards the old will without
/// publishing it) so that the driver reconnects with a freshly sealed will. False if the
/// client is closing or the disconnect failed (the connection is then handled as usual).
async fn refresh_will(link: &Link, state: &ClientState) -> bool {
    if state.is_closing() {
        return false;
    }
    tracing::debug!("refreshing the sealed will: clean disconnect, reconnect");
    let options = paho_mqtt::DisconnectOptionsBuilder::new()
        .timeout(REFRESH_DISCONNECT_GRACE)
        .finalize();
    match link.client.disconnect(options).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!("will refresh: the clean disconnect failed: {e}");
            !link.client.is_connected()
        }
    }
}

/// Subscribes to every remembered filter (one SUBSCRIBE), without waiting for the SUBACK: a
/// task waits for it and reports every refused filter as [`Event::SubscribeRefused`] (and
/// forgets it).
fn restore_subscriptions(
    link: &Link,
    state: &Arc<ClientState>,
    waiters: &Arc<SubscribeWaiters>,
    events: &Traced,
) {
    let all = state.subscriptions().all();
    if all.is_empty() {
        return;
    }
    tracing::debug!(count = all.len(), "subscribing to the remembered filters");
    let filters: Vec<String> = all.iter().map(|(f, _)| f.clone()).collect();
    let qos: Vec<i32> = all.iter().map(|(_, q)| i32::from(*q as u8)).collect();
    let token = link.client.subscribe_many(&filters, &qos);
    let (state, events, waiters) = (Arc::clone(state), events.clone(), Arc::clone(waiters));
    tokio::spawn(async move {
        // No SUBACK (the connection dropped first): the filters stay recorded, and their
        // waiters wait for the next connection.
        let Some(refused) = refused(&filters, token.await) else {
            return;
        };
        waiters.answered(&filters, &refused);
        for (filter, code) in refused {
            state.subscriptions().remove(&filter);
            if events
                .send(Event::SubscribeRefused { filter, code })
                .await
                .is_err()
            {
                return;
            }
        }
    });
}

/// The refused filters of a SUBACK, with their reason codes. Paho completes the token with
/// the granted QoS (or MQTT 5 reason code) per filter, 0x80 and above refusing; a single
/// refused filter fails the token instead (MQTT 5: with its reason code; MQTT 3.1.1: a
/// failure, reported as 0x80). `None` when no SUBACK came (a connection lost first).
fn refused(
    filters: &[String],
    answer: Result<paho_mqtt::ServerResponse, paho_mqtt::Error>,
) -> Option<Vec<(String, u8)>> {
    let codes: Vec<i32> = match answer {
        Ok(response) => response
            .subscribe_many_response()
            .or_else(|| response.subscribe_response().map(|q| vec![q]))
            .unwrap_or_default(),
        Err(paho_mqtt::Error::ReasonCode(code, _)) if filters.len() == 1 => {
            vec![i32::from(code as u8)]
        }
        Err(paho_mqtt::Error::Failure) if filters.len() == 1 => vec![0x80],
        Err(e) => {
            tracing::debug!("no SUBACK for the restored subscriptions: {e}");
            return None;
        }
    };
    let refused = filters
        .iter()
        .zip(codes)
        .filter_map(|(filter, code)| {
            let code = u8::try_from(code).ok()?;
            payseal_mqtt::is_refusal(code).then(|| (filter.clone(), code))
        })
        .collect();
    Some(refused)
}
