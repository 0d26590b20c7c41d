//! An MQTT broker inside the process (rumqttd) on a free loopback port: what `payseal demo`
//! and the no-setup examples run on.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::Failure;

/// Starts rumqttd on a free loopback port and returns the port. The broker runs on its own
/// threads until the process ends.
///
/// # Errors
/// [`Failure::Network`] if no port is free or the broker does not listen within 5 s.
pub fn start() -> Result<u16, Failure> {
    let port = payseal_mitm::free_port()
        .map_err(|e| Failure::Network(format!("no free port for the embedded broker: {e}")))?;
    let server = ServerSettings {
        name: "payseal-demo".into(),
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: 256 * 1024,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = Config {
        router: RouterConfig {
            max_connections: 16,
            max_outgoing_packet_count: 200,
            max_segment_size: 1024 * 1024,
            max_segment_count: 10,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("1".to_owned(), server)])),
        ..Config::default()
    };
    let mut broker = Broker::new(config);
    std::thread::Builder::new()
        .name("rumqttd".into())
        .spawn(move || {
            if let Err(e) = broker.start() {
                eprintln!("[broker ] embedded broker stopped: {e}");
            }
        })
        .map_err(|e| Failure::Io(format!("cannot start the embedded broker: {e}")))?;
    wait_listening(port)?;
    Ok(port)
}

/// Waits until the broker accepts TCP connections (it binds on its own thread).
fn wait_listening(port: u16) -> Result<(), Failure> {
    for _ in 0..100 {
        if std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(Failure::Network(format!(
        "the embedded broker did not listen on port {port} within 5 s"
    )))
}
