//! `Receiver`: an opener with MQTT's receive rules (spec/mqtt-adapters.md), through
//! payseal-mqtt's own classification, so Python clients judge messages exactly as the Rust
//! adapters do: only subscribed topics, retained state and wills by their signed kind and
//! their own limits, duplicates (MQTT's own repeats) dropped without an alarm.

use std::sync::Arc;
use std::time::Duration;

use payseal_mqtt::adapter::ClientState;
use payseal_mqtt::{Event, QoS, Security};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::buf::{Bytes, OwnedBytes};
use crate::errors;
use crate::keys::kid_arg;
use crate::opener::Opener;
use crate::verified::Verified;

/// The adapters' default maximum packet size (unused for receiving; required by the state).
const MAX_PACKET: usize = 1 << 20;

fn qos(level: u8) -> PyResult<QoS> {
    match level {
        0 => Ok(QoS::AtMostOnce),
        1 => Ok(QoS::AtLeastOnce),
        2 => Ok(QoS::ExactlyOnce),
        _ => Err(PyValueError::new_err("qos must be 0, 1 or 2")),
    }
}

/// The receiving side of an MQTT client. Build it from an `Opener` (which it takes over).
#[pyclass(module = "payseal", frozen)]
pub(crate) struct Receiver(Arc<ClientState>);

#[pymethods]
impl Receiver {
    /// `retained`: `[(topic_filter, max_age_secs)]` where retained state is accepted, with
    /// its own age limit; `wills`: the same for Last Wills; `will_kids`: key ids that
    /// publish wills (only those are judged with the will limit).
    #[new]
    #[pyo3(signature = (opener, *, retained = Vec::new(), wills = Vec::new(), will_kids = Vec::new()))]
    fn new(
        opener: &Opener,
        retained: Vec<(String, u64)>,
        wills: Vec<(String, u64)>,
        will_kids: Vec<OwnedBytes>,
    ) -> PyResult<Self> {
        let mut security = Security::new().opener(opener.take()?);
        for (filter, secs) in retained {
            security = security
                .retained_topic(&filter, Duration::from_secs(secs))
                .map_err(errors::config)?;
        }
        for (filter, secs) in wills {
            security = security
                .will_topic(&filter, Duration::from_secs(secs))
                .map_err(errors::config)?;
        }
        for kid in will_kids {
            security = security.will_kid(kid_arg(&kid.0)?);
        }
        Ok(Receiver(ClientState::new(security, MAX_PACKET)))
    }

    /// Accepts messages on `topic_filter` (call it when subscribing): messages on topics no
    /// subscription matches are refused as `not_subscribed`.
    #[pyo3(signature = (topic_filter, qos = 1))]
    fn subscribe(&self, topic_filter: &str, qos: u8) -> PyResult<()> {
        self.0.subscriptions().add(topic_filter, self::qos(qos)?);
        Ok(())
    }

    /// Stops accepting messages on `topic_filter`.
    fn unsubscribe(&self, topic_filter: &str) {
        self.0.subscriptions().remove(topic_filter);
    }

    /// Judges one incoming PUBLISH. Returns the verified message, None for a duplicate
    /// (already delivered: MQTT's own repeat, not an alarm), or raises `Rejected`.
    /// `topic` may be bytes as on the wire (a topic that is not UTF-8 is `invalid_topic`).
    #[pyo3(signature = (topic, payload, *, retain = false, qos = 0))]
    fn receive(
        &self,
        py: Python<'_>,
        topic: &Bound<'_, PyAny>,
        payload: Bytes<'_>,
        retain: bool,
        qos: u8,
    ) -> PyResult<Option<Verified>> {
        let qos = self::qos(qos)?;
        let payload = payload.as_slice();
        let event = if topic.is_instance_of::<PyString>() {
            let text: String = topic.extract()?;
            py.detach(|| self.0.classify(&text, payload, retain, qos))
        } else {
            let bytes: Bytes<'_> = topic.extract()?;
            let bytes = bytes.as_slice();
            py.detach(|| self.0.classify_bytes(bytes, payload, retain, qos))
        };
        match event {
            Some(Event::Message(m)) => Ok(Some(Verified::from(m.verified))),
            Some(Event::Rejected { reason, .. }) => Err(errors::rejected(&reason)),
            Some(Event::Duplicate { .. }) => Ok(None),
            Some(_) | None => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "receiver state unavailable",
            )),
        }
    }
}
