//! The rumqttc rows: a plain rumqttc client, and payseal-rumqttc's `SecureClient`.

use std::time::{Duration, Instant};

use payseal::{Counter, Sealer, SystemClock};
use payseal_rumqttc::{Event, MqttOptions, SecureClient, Security};
use payseal_testkit::Mosquitto;
use rumqttc::QoS;

use crate::{PAYLOAD, Rate, Result, client_id, keys};

fn options(broker: &Mosquitto, name: &str) -> MqttOptions {
    let mut o = MqttOptions::new(client_id(name), broker.host(), broker.port());
    o.set_max_packet_size(1 << 20, 1 << 20);
    o.set_inflight(1000);
    o
}

fn qos_of(qos: u8) -> QoS {
    if qos == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    }
}

pub(crate) async fn plaintext(broker: &Mosquitto, qos: u8, n: usize) -> Result<Rate> {
    let qos = qos_of(qos);
    let (sub, mut sub_loop) = rumqttc::AsyncClient::new(options(broker, "plain-sub"), 1000);
    sub.subscribe("bench/plain", qos).await?;
    loop {
        if let rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_)) = sub_loop.poll().await? {
            break;
        }
    }
    let (publ, mut pub_loop) = rumqttc::AsyncClient::new(options(broker, "plain-pub"), 1000);
    tokio::spawn(async move { while pub_loop.poll().await.is_ok() {} });
    let start = Instant::now();
    tokio::spawn(async move {
        for _ in 0..n {
            if publ
                .publish("bench/plain", qos, false, PAYLOAD.to_vec())
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let mut received = 0;
    let mut last = start;
    while received < n {
        match tokio::time::timeout(Duration::from_secs(2), sub_loop.poll()).await {
            Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(_)))) => {
                received += 1;
                last = Instant::now();
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => break,
        }
    }
    Ok((received as f64 / (last - start).as_secs_f64(), n - received))
}

pub(crate) async fn sealed(broker: &Mosquitto, qos: u8, n: usize) -> Result<Rate> {
    let qos = qos_of(qos);
    let (key, opener) = keys()?;
    let (sub, mut events) = SecureClient::connect(
        options(broker, "sealed-sub"),
        Security::new().opener(opener),
    );
    while !matches!(events.recv().await, Some(Event::Connected { .. })) {}
    sub.subscribe("bench/sealed", qos).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sealer = Sealer::new(key, Counter::from_unix_micros(), SystemClock);
    let (publ, _pub_events) = SecureClient::connect(
        options(broker, "sealed-pub"),
        Security::new().sealer(sealer),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    tokio::spawn(async move {
        for _ in 0..n {
            if publ
                .publish("bench/sealed", qos, false, &PAYLOAD)
                .await
                .is_err()
            {
                return;
            }
        }
    });
    crate::count_events(&mut events, n, start).await
}
