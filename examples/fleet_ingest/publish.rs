//! Publishing alone: a plain rumqttc client against payseal-rumqttc sealing every payload,
//! both at QoS 1 until the broker acknowledged every message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use payseal::{Algorithm, Counter, Sealer, SigningKey, SystemClock};
use payseal_rumqttc::{MqttOptions, QoS, SecureClient, Security};
use payseal_testkit::Mosquitto;

use crate::Result;
use crate::clients::client_id;
use crate::fleet::payload;

fn options(broker: &Mosquitto, name: &str) -> MqttOptions {
    let mut o = MqttOptions::new(client_id(name), broker.host(), broker.port());
    o.set_max_packet_size(1 << 20, 1 << 20);
    o.set_inflight(1000);
    o
}

/// Plaintext: messages per second until the last PUBACK.
pub(crate) async fn plain(
    broker: &Mosquitto,
    payloads: &Arc<Vec<Vec<u8>>>,
    n: usize,
) -> Result<f64> {
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options(broker, "publish-plain"), 1000);
    let acked = tokio::spawn(async move {
        let mut acks = 0;
        while acks < n {
            match eventloop.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_))) => acks += 1,
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        Some(Instant::now())
    });
    let start = Instant::now();
    for p in payloads.iter().take(n) {
        client
            .publish(
                "fleet/0/reading",
                rumqttc::QoS::AtLeastOnce,
                false,
                p.clone(),
            )
            .await?;
    }
    let end = acked
        .await?
        .ok_or("the plaintext publisher lost its connection")?;
    Ok(n as f64 / (end - start).as_secs_f64())
}

/// Sealed: payseal-rumqttc seals each payload in the publishing task; messages per second
/// until `flush` saw the last PUBACK.
pub(crate) async fn sealed(broker: &Mosquitto, n: usize) -> Result<f64> {
    let sealer = Sealer::new(
        SigningKey::generate(Algorithm::Ed25519)?,
        Counter::starting_at(1),
        SystemClock,
    );
    let (client, mut events) = SecureClient::connect(
        options(broker, "publish-sealed"),
        Security::new().sealer(sealer),
    );
    while !matches!(
        events.recv().await,
        Some(payseal_rumqttc::Event::Connected { .. })
    ) {}
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let start = Instant::now();
    for i in 0..n {
        client
            .publish("fleet/0/reading", QoS::AtLeastOnce, false, &payload(i))
            .await?;
    }
    client
        .flush(Duration::from_secs(60))
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(n as f64 / start.elapsed().as_secs_f64())
}
