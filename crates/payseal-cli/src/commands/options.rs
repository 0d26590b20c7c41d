//! Connection flags checked before they reach the MQTT client library, whose option setters
//! panic on some values (a panic is exit 101 with a backtrace, not a usage error).
//!
//! The setters that can panic on what a user types, and how each is kept from it:
//! - rumqttc v5 `MqttOptions::set_keep_alive`: below 5 s, 0 included. Checked here.
//! - rumqttc 3.1.1 `MqttOptions::set_keep_alive`: a fraction of a second. `-k` is whole
//!   seconds, so it cannot happen.
//! - rumqttc `set_inflight(0)`, and `set_clean_session(false)` with an empty client id: not
//!   called by the CLI.

use crate::Failure;
use crate::cli::Broker;

/// The smallest keep-alive rumqttc accepts for MQTT 5 (its setter asserts it).
pub(crate) const MIN_KEEPALIVE_V5: u16 = 5;

/// Refuses flags the client library would panic on, as a usage error (exit 2).
pub(crate) fn check(broker: &Broker) -> Result<(), Failure> {
    if broker.protocol.ends_with('5') && broker.keepalive < MIN_KEEPALIVE_V5 {
        return Err(Failure::Usage(format!(
            "-k/--keepalive {} is not supported with MQTT 5 (-V 5): give {MIN_KEEPALIVE_V5} to 65535 seconds",
            broker.keepalive
        )));
    }
    Ok(())
}
