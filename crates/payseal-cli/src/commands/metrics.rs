//! `sub --metrics ADDR`: the adapter's counters (see `payseal_mqtt::metrics`) served over
//! HTTP in the Prometheus text format, at any path (`/metrics` by convention).
//!
//! The exporter is `metrics-exporter-prometheus` with only its HTTP listener: rumqttd (the
//! demo's broker) already brings the same version and its hyper into the tree, so serving
//! costs no new dependency. The labels are stable reason codes from a fixed list, never
//! text a broker sends, so a broker cannot grow the number of series.

use std::net::SocketAddr;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use payseal_rumqttc::metrics::{VERIFY_SECONDS, describe};

use crate::Failure;

/// Histogram buckets for opening one envelope, in seconds: 10 µs (a MAC) to 100 ms (a
/// replay store across a network).
const VERIFY_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.1,
];

/// Installs the Prometheus recorder and starts its listener on `addr`, on the current
/// tokio runtime (call it inside one).
pub(crate) fn serve(addr: SocketAddr) -> Result<(), Failure> {
    let failed =
        |e: &dyn std::fmt::Display| Failure::Io(format!("cannot serve metrics on {addr}: {e}"));
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(Matcher::Full(VERIFY_SECONDS.to_owned()), VERIFY_BUCKETS)
        .map_err(|e| failed(&e))?
        .install()
        .map_err(|e| failed(&e))?;
    describe();
    Ok(())
}
