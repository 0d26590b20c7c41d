//! One publish until its outcome (spec/mqtt-adapters.md §6a): confirmed, refused by the broker,
//! or, for QoS 1 and 2, sent again with the same envelope when a lost session made paho give
//! it up unconfirmed.

use std::pin::pin;
use std::time::Duration;

use payseal_mqtt::adapter::ClientState;
use payseal_mqtt::{QoS, Refusal, Unconfirmed};

use crate::error::Error;
use crate::link::Link;

/// How often a publish waiting for its acknowledgement checks whether the client closed.
const CLOSE_POLL: Duration = Duration::from_millis(250);

/// One publish of the client: which one it was, its topic and QoS, and the paho message
/// holding its sealed envelope (sealed once: every resend carries the same bytes).
pub(crate) struct Pending<'a> {
    /// 1 for the client's first `publish`, and so on.
    pub(crate) index: u64,
    pub(crate) topic: &'a str,
    pub(crate) qos: QoS,
    pub(crate) message: paho_mqtt::Message,
}

/// Hands `pending` to paho and waits for its outcome.
///
/// Paho completes a QoS 1/2 token with `OperationIncomplete` when it forgets its in-flight
/// messages: at a connection loss with a clean session, or at a CONNACK reporting no
/// session. The broker has then forgotten the transmission too, so the same message (same
/// envelope, a new packet id) is handed to paho again; paho sends it when (re)connected. A
/// receiver that got the first copy sees the second as a duplicate of the same seq. With a
/// session present paho retransmits by itself and the token does not fail.
///
/// # Errors
/// [`Error::Refused`] when the broker refuses it (reason code 0x80 or more),
/// [`Error::Unconfirmed`] when the application disconnected before a QoS 1/2 message
/// was confirmed, [`Error::Client`] when paho refuses it.
pub(crate) async fn settle(
    link: &Link,
    state: &ClientState,
    pending: Pending<'_>,
) -> Result<(), Error> {
    let mut sent = 0u32;
    loop {
        // `try_publish` fails at once if paho refuses; the token completes when the broker
        // confirmed (QoS 1/2) or the packet was written (QoS 0), or fails if it cannot be.
        let token = link.client.try_publish(pending.message.clone())?;
        sent = sent.saturating_add(1);
        let outcome = match wait(link, state, token).await {
            Some(outcome) => outcome,
            None => return Err(unconfirmed(&pending)),
        };
        match outcome {
            Ok(()) => return Ok(()),
            // paho completes the token with the broker's reason code when it is 0x80 or more.
            Err(paho_mqtt::Error::ReasonCode(code, properties)) => {
                let reason = properties.get_string(paho_mqtt::PropertyCode::ReasonString);
                return Err(Error::Refused(Refusal::new(
                    pending.index,
                    pending.topic,
                    code as u8,
                    reason.as_deref(),
                )));
            }
            Err(paho_mqtt::Error::OperationIncomplete) if pending.qos != QoS::AtMostOnce => {
                if state.is_closing() {
                    return Err(unconfirmed(&pending));
                }
                tracing::debug!(
                    index = pending.index,
                    sent,
                    "the session was lost before the broker confirmed a message: sending the \
                     same envelope again"
                );
            }
            Err(e) if pending.qos != QoS::AtMostOnce && state.is_closing() => {
                tracing::debug!(index = pending.index, "unconfirmed at disconnect: {e}");
                return Err(unconfirmed(&pending));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The token's result, or `None` once the application disconnected and paho is no longer
/// connected (a message queued for a connection that will not come would wait forever).
async fn wait(
    link: &Link,
    state: &ClientState,
    token: paho_mqtt::DeliveryToken,
) -> Option<Result<(), paho_mqtt::Error>> {
    let mut token = pin!(token);
    loop {
        if let Ok(result) = tokio::time::timeout(CLOSE_POLL, &mut token).await {
            return Some(result.map(drop));
        }
        if state.is_closing() && !link.client.is_connected() {
            return None;
        }
    }
}

fn unconfirmed(pending: &Pending<'_>) -> Error {
    Error::Unconfirmed(Unconfirmed {
        index: pending.index,
        topic: pending.topic.to_string(),
    })
}
