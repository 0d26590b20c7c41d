//! The malicious broker in the middle with MAC-mode senders (spec/mac.md): payseal-conformance's
//! attack table once more, every attack refused as in signed mode. In a binary of its own, as
//! `attacks.rs`, so that it does not disturb that table's memory measurement.

use payseal_conformance::adapters::Rumqttc311;

payseal_conformance::scenarios!(Rumqttc311; attacks::a_malicious_broker_gets_nothing_through_mac_mode);
