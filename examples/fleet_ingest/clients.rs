//! The clients: a load generator publishing ready-made payloads (as a fleet of devices that
//! sealed them), and four subscribers (plain rumqttc and paho, payseal-rumqttc and
//! payseal-paho) that report each message's index and arrival time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use payseal_rumqttc::Security;
use payseal_testkit::Mosquitto;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::Result;
use crate::fleet::index;

/// What a subscriber reports: the index of a message it received, and when.
pub(crate) type Arrivals = UnboundedReceiver<(usize, Instant)>;

/// The subscribers compared.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Subscriber {
    PlainRumqttc,
    PlainPaho,
    SealedRumqttc,
    SealedPaho,
}

/// A unique client id, so one row's clients never collide with another's.
pub(crate) fn client_id(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{name}-{nanos}")
}

/// A running subscriber: its arrivals, and its client.
pub(crate) struct Running {
    pub(crate) arrivals: Arrivals,
    client: Client,
}

enum Client {
    PlainRumqttc(rumqttc::AsyncClient),
    PlainPaho(paho_mqtt::AsyncClient),
    SealedRumqttc(payseal_rumqttc::SecureClient),
    SealedPaho(payseal_paho::SecureClient),
}

impl Running {
    /// Disconnects, so that later rows' messages do not reach this subscriber too.
    pub(crate) async fn stop(self) {
        match self.client {
            Client::PlainRumqttc(c) => drop(c.disconnect().await),
            Client::PlainPaho(c) => drop(c.disconnect(None).await),
            Client::SealedRumqttc(c) => drop(c.disconnect().await),
            Client::SealedPaho(c) => drop(c.disconnect().await),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Connects `kind` to `broker`, subscribed to every device's topic at `qos` (0 or 1).
pub(crate) async fn subscribe(
    kind: Subscriber,
    broker: &Mosquitto,
    qos: u8,
    security: Option<Security>,
) -> Result<Running> {
    let (tx, arrivals) = unbounded_channel();
    let filter = "fleet/+/reading";
    let client = match kind {
        Subscriber::PlainRumqttc => {
            let mut options =
                rumqttc::MqttOptions::new(client_id("plain-sub"), broker.host(), broker.port());
            options.set_max_packet_size(1 << 20, 1 << 20);
            let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 1000);
            client.subscribe(filter, rumqttc_qos(qos)).await?;
            loop {
                if let rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_)) =
                    eventloop.poll().await?
                {
                    break;
                }
            }
            tokio::spawn(async move {
                while let Ok(event) = eventloop.poll().await {
                    if let rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) = event {
                        report(&tx, &p.payload);
                    }
                }
            });
            Client::PlainRumqttc(client)
        }
        Subscriber::PlainPaho => {
            let create = paho_mqtt::CreateOptionsBuilder::new()
                .server_uri(format!("tcp://{}:{}", broker.host(), broker.port()))
                .client_id(client_id("paho-plain-sub"))
                .finalize();
            let client = paho_mqtt::AsyncClient::new(create)?;
            client.set_message_callback(move |_, m| {
                if let Some(m) = m {
                    report(&tx, m.payload());
                }
            });
            client.connect(None).await?;
            client.subscribe(filter, i32::from(qos)).await?;
            Client::PlainPaho(client)
        }
        Subscriber::SealedRumqttc => {
            let mut options = payseal_rumqttc::MqttOptions::new(
                client_id("sealed-sub"),
                broker.host(),
                broker.port(),
            );
            options.set_max_packet_size(1 << 20, 1 << 20);
            let security = security.ok_or("a sealed subscriber needs its security")?;
            let (client, mut events) = payseal_rumqttc::SecureClient::connect(options, security);
            while !matches!(
                events.recv().await,
                Some(payseal_rumqttc::Event::Connected { .. })
            ) {}
            client
                .subscribe(
                    filter,
                    payseal_rumqttc::QoS::from_u8(qos).ok_or("QoS 0 or 1")?,
                )
                .await?;
            tokio::spawn(forward(events, tx));
            // `subscribe` returns once the SUBSCRIBE is queued, not at its SUBACK: give the
            // broker time to take it before the load generator's first message.
            tokio::time::sleep(Duration::from_millis(200)).await;
            Client::SealedRumqttc(client)
        }
        Subscriber::SealedPaho => {
            let options = payseal_paho::MqttOptions::new(
                client_id("paho-sealed-sub"),
                broker.host(),
                broker.port(),
            );
            let security = security.ok_or("a sealed subscriber needs its security")?;
            let (client, mut events) = payseal_paho::SecureClient::connect(options, security)?;
            while !matches!(
                events.recv().await,
                Some(payseal_paho::Event::Connected { .. })
            ) {}
            client
                .subscribe(filter, payseal_paho::QoS::from_u8(qos).ok_or("QoS 0 or 1")?)
                .await?;
            tokio::spawn(forward(events, tx));
            Client::SealedPaho(client)
        }
    };
    Ok(Running { arrivals, client })
}

fn rumqttc_qos(qos: u8) -> rumqttc::QoS {
    if qos == 0 {
        rumqttc::QoS::AtMostOnce
    } else {
        rumqttc::QoS::AtLeastOnce
    }
}

fn report(tx: &UnboundedSender<(usize, Instant)>, payload: &[u8]) {
    if let Some(i) = index(payload) {
        let _ = tx.send((i, Instant::now()));
    }
}

/// Verified messages to arrivals; a rejection ends the run (every envelope is genuine).
async fn forward(
    mut events: tokio::sync::mpsc::Receiver<payseal_rumqttc::Event>,
    tx: UnboundedSender<(usize, Instant)>,
) {
    while let Some(event) = events.recv().await {
        match event {
            payseal_rumqttc::Event::Message(m) => report(&tx, m.verified.payload()),
            payseal_rumqttc::Event::Rejected { reason, .. } => {
                eprintln!("a genuine envelope was rejected: {reason}");
                return;
            }
            _ => {}
        }
    }
}

/// What the load generator hands back: when each message was handed to its client, and the
/// client, to keep until the row ends (dropping it ends its event loop, which may not have
/// sent the last messages yet).
pub(crate) type Sent = (Vec<Instant>, rumqttc::AsyncClient);

/// Publishes `payloads[i]` on `topics[i]` at `qos` through a plain rumqttc client, as fast as
/// it goes (`rate` None) or `rate` per second; returns when each was handed to the client.
pub(crate) async fn load(
    broker: &Mosquitto,
    topics: Arc<Vec<String>>,
    payloads: Arc<Vec<Vec<u8>>>,
    qos: u8,
    rate: Option<f64>,
) -> Result<Sent> {
    let mut options = rumqttc::MqttOptions::new(client_id("load"), broker.host(), broker.port());
    options.set_max_packet_size(1 << 20, 1 << 20);
    options.set_inflight(1000);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 1000);
    tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    let start = Instant::now();
    let mut sent = Vec::with_capacity(payloads.len());
    for (i, (topic, payload)) in topics.iter().zip(payloads.iter()).enumerate() {
        if let Some(rate) = rate {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        sent.push(Instant::now());
        client
            .publish(topic, rumqttc_qos(qos), false, payload.clone())
            .await?;
    }
    Ok((sent, client))
}
