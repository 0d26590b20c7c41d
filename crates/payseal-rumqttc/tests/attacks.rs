//! The malicious broker in the middle (payseal-conformance's attack table), in a test binary
//! of its own: its flood check measures this process's memory, which the other scenarios,
//! running beside it in one binary, would disturb.

use payseal_conformance::adapters::Rumqttc311;

payseal_conformance::suite_v311!(Rumqttc311);
