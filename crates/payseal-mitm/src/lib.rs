//! A malicious MQTT broker in the middle, for demos and attack tests of payseal.
//!
//! [`mitm::Mitm`] is a TCP proxy between one MQTT client and a real broker: it parses the
//! broker-to-client stream and lets its owner rewrite, drop, hold, duplicate or inject PUBLISH
//! packets, as a broker that has been taken over could. [`mqtt`] has just enough MQTT framing
//! for that. The `payseal demo` command and payseal's conformance suite both use it; it is a
//! crate of its own so that the published `payseal` command does not depend on test tooling.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use payseal_mitm::mitm::{Mitm, Out};
//! let broker_port = 1883;
//! // Forward everything unchanged (a real attack would rewrite or inject here).
//! let proxy = Mitm::start(broker_port, Box::new(|publish| vec![Out::Forward(publish)])).await?;
//! println!("point the client at 127.0.0.1:{}", proxy.port());
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod mitm;
pub mod mqtt;

use std::io;
use std::net::TcpListener;

/// A port nobody listens on right now (the OS picks it; a race with other processes is
/// possible but unlikely on loopback).
///
/// ```
/// let port = payseal_mitm::free_port()?;
/// assert_ne!(port, 0);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// If no loopback socket can be bound.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}
