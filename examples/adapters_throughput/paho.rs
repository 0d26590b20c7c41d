//! The paho rows: a plain paho-mqtt client, and payseal-paho's `SecureClient`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use payseal::{Counter, Sealer, SystemClock};
use payseal_paho::{Event, MqttOptions, QoS, SecureClient, Security};
use payseal_testkit::Mosquitto;
use tokio::sync::mpsc;

use crate::{PAYLOAD, Rate, Result, client_id, count_events, keys};

fn qos_of(qos: u8) -> QoS {
    if qos == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    }
}

/// A plain paho client (no payseal) whose buffer holds every outstanding publish.
fn plain_client(broker: &Mosquitto, name: &str) -> Result<paho_mqtt::AsyncClient> {
    let create = paho_mqtt::CreateOptionsBuilder::new()
        .server_uri(format!("tcp://{}:{}", broker.host(), broker.port()))
        .client_id(client_id(name))
        .max_buffered_messages(10_000)
        .finalize();
    Ok(paho_mqtt::AsyncClient::new(create)?)
}

pub(crate) async fn plaintext(
    broker: &Mosquitto,
    qos: u8,
    n: usize,
    in_flight: usize,
) -> Result<Rate> {
    let qos = i32::from(qos);
    let sub = plain_client(broker, "paho-plain-sub")?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    sub.set_message_callback(move |_, m| {
        if m.is_some() {
            let _ = tx.send(());
        }
    });
    sub.connect(None).await?;
    sub.subscribe("bench/paho-plain", qos).await?;
    let publ = plain_client(broker, "paho-plain-pub")?;
    publ.connect(None).await?;
    let start = Instant::now();
    tokio::spawn(async move {
        // At most `in_flight` delivery tokens outstanding, each one awaited.
        let mut tokens = VecDeque::new();
        for _ in 0..n {
            let message = paho_mqtt::Message::new("bench/paho-plain", PAYLOAD.to_vec(), qos);
            tokens.push_back(publ.publish(message));
            if tokens.len() >= in_flight
                && let Some(token) = tokens.pop_front()
                && token.await.is_err()
            {
                return;
            }
        }
        for token in tokens {
            let _ = token.await;
        }
    });
    let mut received = 0;
    let mut last = start;
    while received < n {
        match tokio::time::timeout(Duration::from_secs(2), rx.recv()).await {
            Ok(Some(())) => {
                received += 1;
                last = Instant::now();
            }
            Ok(None) | Err(_) => break,
        }
    }
    let _ = sub.disconnect(None).await;
    Ok((received as f64 / (last - start).as_secs_f64(), n - received))
}

pub(crate) async fn sealed(
    broker: &Mosquitto,
    qos: u8,
    n: usize,
    in_flight: usize,
) -> Result<Rate> {
    let qos = qos_of(qos);
    let (key, opener) = keys()?;
    let options = |name: &str| MqttOptions::new(client_id(name), broker.host(), broker.port());
    let (sub, mut events) =
        SecureClient::connect(options("paho-sealed-sub"), Security::new().opener(opener))?;
    while !matches!(events.recv().await, Some(Event::Connected { .. })) {}
    sub.subscribe("bench/paho-sealed", qos).await?;
    let sealer = Sealer::new(key, Counter::from_unix_micros(), SystemClock);
    let (publ, mut pub_events) =
        SecureClient::connect(options("paho-sealed-pub"), Security::new().sealer(sealer))?;
    while !matches!(pub_events.recv().await, Some(Event::Connected { .. })) {}
    let start = Instant::now();
    for task in 0..in_flight {
        let publ = publ.clone();
        let count = n / in_flight + usize::from(task < n % in_flight);
        tokio::spawn(async move {
            for _ in 0..count {
                if publ
                    .publish("bench/paho-sealed", qos, false, &PAYLOAD)
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }
    let rate = count_events(&mut events, n, start).await;
    let _ = sub.disconnect().await;
    drop(pub_events);
    rate
}
