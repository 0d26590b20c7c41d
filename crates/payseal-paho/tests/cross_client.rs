//! Cross-client interop through one Mosquitto: rumqttc publishes and paho verifies, and the
//! other way round, signed and encrypted, with MQTT 3.1.1 and MQTT 5.

use payseal_conformance::adapters::{Paho5, Paho311, Rumqttc5, Rumqttc311};

mod rumqttc_to_paho {
    payseal_conformance::cross!(super::Rumqttc311 => super::Paho311);
}

mod paho_to_rumqttc {
    payseal_conformance::cross!(super::Paho311 => super::Rumqttc311);
}

mod rumqttc5_to_paho5 {
    payseal_conformance::cross!(super::Rumqttc5 => super::Paho5);
}

mod paho5_to_rumqttc5 {
    payseal_conformance::cross!(super::Paho5 => super::Rumqttc5);
}
