//! The adapters' clients as [`Adapter`](crate::Adapter)s: rumqttc and paho, MQTT 3.1.1 and 5.
//! Each adapter's tests run the suites over its own, and the cross-client tests over pairs.

mod paho;
mod rumqttc;

pub use self::paho::{Paho5, Paho311};
pub use self::rumqttc::{Rumqttc5, Rumqttc311};
