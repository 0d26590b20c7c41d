//! The conformance suite (payseal-conformance) over both paho clients, against a real
//! Mosquitto per scenario; and MQTT 3.1.1 to MQTT 5 interop within this adapter.

use payseal_conformance::adapters::{Paho5, Paho311};

mod mqtt311 {
    payseal_conformance::suite!(super::Paho311);
}

mod mqtt5 {
    payseal_conformance::suite!(super::Paho5);
    payseal_conformance::suite_v5!(super::Paho5);
}

mod mqtt311_to_mqtt5 {
    payseal_conformance::cross!(super::Paho311 => super::Paho5);
}
