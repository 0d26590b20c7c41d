//! The `tracing` events every adapter emits for what it hands to the application, at one
//! level per kind of event, so the two adapters log alike. Topics and filters come from the
//! broker or the application and are escaped ([`escape_text`]) before they are logged.

use crate::escape_text;
use crate::event::Event;

/// Logs `event` (target `payseal_mqtt::adapter::trace`):
/// - `Connected`: `info`;
/// - `Disconnected`: `warn`, with the error's kind;
/// - `Rejected`: `warn` when the reason is an alarm ([`payseal::Rejection::is_alarm`]), else
///   `info`, with the stable reason code and the escaped topic;
/// - `Duplicate`: `debug`; `SubscribeRefused`: `warn`; a verified `Message`: `trace`.
///
/// ```
/// use payseal_mqtt::Event;
/// use payseal_mqtt::adapter::trace_event;
/// trace_event(&Event::Connected { session_present: false });
/// ```
pub fn trace_event(event: &Event) {
    match event {
        Event::Message(m) => tracing::trace!(
            topic = %escape_text(m.verified.topic()),
            seq = m.verified.seq(),
            "verified message"
        ),
        Event::Rejected { topic, reason } if reason.is_alarm() => tracing::warn!(
            reason = reason.code(),
            topic = %escape_text(topic),
            "refused a message: {reason}"
        ),
        Event::Rejected { topic, reason } => tracing::info!(
            reason = reason.code(),
            topic = %escape_text(topic),
            "refused a message: {reason}"
        ),
        Event::Duplicate { topic, seq } => tracing::debug!(
            topic = %escape_text(topic),
            seq,
            "duplicate of a message already delivered"
        ),
        Event::SubscribeRefused { filter, code } => tracing::warn!(
            filter = %escape_text(filter),
            code,
            "the broker refused a subscription"
        ),
        Event::Connected { session_present } => {
            tracing::info!(session_present, "connected to the broker");
        }
        Event::Disconnected { error } => tracing::warn!(
            kind = ?error.kind(),
            "disconnected from the broker: {}",
            escape_text(&error.to_string())
        ),
    }
}
