//! A hook on refused messages, with the bytes as they arrived: for a quarantine that keeps
//! them for forensics, or anything else that must see what was refused. The event stream
//! carries only the topic and the reason ([`Event::Rejected`](crate::Event::Rejected)).

use payseal::Rejection;

/// A message an adapter refused, as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct RejectedMessage<'a> {
    /// The topic it arrived on; a topic that is not valid UTF-8 is shown escaped
    /// ([`escape_bytes`](crate::escape_bytes)), as in the event.
    pub topic: &'a str,
    /// The payload exactly as the broker delivered it (never verified, never decrypted).
    pub payload: &'a [u8],
    /// Why it was refused.
    pub reason: &'a Rejection,
}

/// Called by the adapter's network task for every message it refuses (each
/// [`Event::Rejected`](crate::Event::Rejected)), before the event is handed on; set it with
/// [`Security::on_rejected`](crate::Security::on_rejected). Duplicates are not refusals and
/// do not reach it.
///
/// It runs on the network task: keep it short (a bounded write, a channel send). It sees
/// only what was already refused, so nothing it does can let a message through. Any
/// `FnMut(&RejectedMessage) + Send` closure is one.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// # use payseal_mqtt as payseal_rumqttc;
/// use payseal_rumqttc::{RejectedMessage, Security}; // or payseal_paho::...
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// let security = Security::new().on_rejected(move |m: &RejectedMessage<'_>| {
///     if let Ok(mut log) = log.lock() {
///         log.push((m.topic.to_string(), m.reason.code(), m.payload.len()));
///     }
/// });
/// # drop(security);
/// ```
pub trait RejectionHook: Send {
    /// One refused message.
    fn rejected(&mut self, message: &RejectedMessage<'_>);
}

impl<F> RejectionHook for F
where
    F: FnMut(&RejectedMessage<'_>) + Send,
{
    fn rejected(&mut self, message: &RejectedMessage<'_>) {
        self(message);
    }
}
