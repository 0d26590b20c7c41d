//! The conformance suite (payseal-conformance) over both rumqttc clients, against a real
//! Mosquitto per scenario; and MQTT 3.1.1 to MQTT 5 interop within this adapter.

use payseal_conformance::adapters::{Rumqttc5, Rumqttc311};

mod mqtt311 {
    payseal_conformance::suite!(super::Rumqttc311);
    payseal_conformance::scenarios!(super::Rumqttc311;
        delivery::mac_messages_arrive_verified_and_forged_tags_are_refused);
}

mod mqtt5 {
    payseal_conformance::suite!(super::Rumqttc5);
    payseal_conformance::suite_v5!(super::Rumqttc5);
}

mod mqtt311_to_mqtt5 {
    payseal_conformance::cross!(super::Rumqttc311 => super::Rumqttc5);
}
