//! Values checked before they reach paho, whose builders and calls panic on some of them (a
//! string with a NUL byte cannot become the C string paho needs: `CString::new(..).unwrap()`
//! inside paho-mqtt). Each is turned into a [`paho_mqtt::Error`] instead.
//!
//! The paho-mqtt paths that panic on what an application passes through this adapter:
//! - `ConnectOptionsBuilder::user_name`: a NUL in [`MqttOptions::set_credentials`]'s user
//!   name (checked by [`options`] before the client is created; the password is bytes and
//!   cannot panic);
//! - `AsyncClient::subscribe` / `unsubscribe`: a NUL in the filter (checked by [`filter`];
//!   the driver also re-subscribes remembered filters after a reconnect, so a bad one must
//!   never be remembered);
//! - `MessageBuilder` topics (publish, will): already refused by the sealer, which only seals
//!   for valid topic names (no NUL), before any message is built.
//!
//! Durations (keep-alive, connect timeout) are converted by paho without a panic.

use crate::options::MqttOptions;

/// Refuses options paho would panic on when it builds its connect options.
pub(crate) fn options(options: &MqttOptions) -> Result<(), paho_mqtt::Error> {
    if let Some((user, _)) = &options.credentials {
        std::ffi::CString::new(user.as_str())?;
    }
    Ok(())
}

/// Refuses a topic filter that is not a valid MQTT filter (a NUL included).
pub(crate) fn filter(filter: &str) -> Result<(), paho_mqtt::Error> {
    payseal::TopicFilter::new(filter)
        .map(drop)
        .map_err(|e| paho_mqtt::Error::GeneralString(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_the_user_name_is_an_error_not_a_panic() {
        let mut o = MqttOptions::new("dev-1", "127.0.0.1", 1883);
        o.set_credentials("fleet\0admin", "pw");
        assert!(matches!(options(&o), Err(paho_mqtt::Error::Nul(_))));
        o.set_credentials("fleet", "pw\0with nul is fine: bytes");
        assert!(options(&o).is_ok());
    }

    #[test]
    fn a_nul_or_malformed_filter_is_an_error_not_a_panic() {
        for bad in ["plant/\0", "", "plant/#/x", "a+"] {
            assert!(filter(bad).is_err(), "{bad:?}");
        }
        assert!(filter("plant/+/temp").is_ok());
    }
}
