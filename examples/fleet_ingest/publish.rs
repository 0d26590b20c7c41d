//! Publishing alone: a plain rumqttc client against payseal-rumqttc sealing every payload,
//! both at QoS 1 until the broker acknowledged every message, and what each costs in CPU time
//! (the publishing process plus the broker, per message), so the sealed rate can be judged
//! against what two cores could do: plaintext's own CPU time plus one seal per message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use payseal::{Algorithm, Counter, Sealer, SigningKey, SystemClock};
use payseal_rumqttc::{MqttOptions, QoS, SecureClient, Security};
use payseal_testkit::Mosquitto;

use crate::Result;
use crate::clients::client_id;
use crate::cpu::Meter;
use crate::fleet::payload;

/// Every publisher sends on this topic.
const TOPIC: &str = "fleet/0/reading";
/// Cores of the machine the targets are set for (shared by broker and publisher).
const CORES: f64 = 2.0;

/// One publishing run: messages per second until the last PUBACK, and CPU µs per message
/// spent by this process and the broker together.
pub(crate) struct Run {
    pub(crate) rate: f64,
    pub(crate) cpu_us: f64,
}

/// What publishing alone measured, and what two cores could do sealed.
pub(crate) struct Publishing {
    pub(crate) plain: Run,
    /// Sealed, by number of publishing tasks (1 and 2).
    pub(crate) sealed: Vec<(usize, Run)>,
    /// µs per seal of one payload, on one core, nothing else running.
    pub(crate) seal_us: f64,
}

impl Publishing {
    /// Two cores publishing sealed messages at plaintext's CPU cost plus one seal each (and
    /// never faster than plaintext). An estimate, not a bound: at a lower rate the client and
    /// the broker spend a little less CPU per message than at plaintext's (fewer wake-ups).
    pub(crate) fn estimate(&self) -> f64 {
        (CORES * 1e6 / (self.plain.cpu_us + self.seal_us)).min(self.plain.rate)
    }

    /// The best sealed run.
    pub(crate) fn best(&self) -> f64 {
        self.sealed.iter().map(|(_, r)| r.rate).fold(0.0, f64::max)
    }
}

/// Measures plaintext, sealed with one and with two publishing tasks, and sealing alone, with
/// `n` messages each.
pub(crate) async fn measure(broker: &Mosquitto, n: usize) -> Result<Publishing> {
    let payloads: Arc<Vec<Vec<u8>>> = Arc::new((0..n).map(payload).collect());
    // First, while no client runs.
    let seal_us = seal_alone(&payloads)?;
    let plain = plain(broker, &payloads).await?;
    let mut sealed = Vec::new();
    for tasks in [1, 2] {
        sealed.push((tasks, self::sealed(broker, &payloads, tasks).await?));
    }
    Ok(Publishing {
        plain,
        sealed,
        seal_us,
    })
}

fn options(broker: &Mosquitto, name: &str) -> MqttOptions {
    let mut o = MqttOptions::new(client_id(name), broker.host(), broker.port());
    o.set_max_packet_size(1 << 20, 1 << 20);
    o.set_inflight(1000);
    o
}

/// Plaintext: messages per second until the last PUBACK.
async fn plain(broker: &Mosquitto, payloads: &Arc<Vec<Vec<u8>>>) -> Result<Run> {
    let n = payloads.len();
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
    let cpu = Meter::start(broker.pid(), None)?;
    let start = Instant::now();
    for p in payloads.iter() {
        client
            .publish(TOPIC, rumqttc::QoS::AtLeastOnce, false, p.clone())
            .await?;
    }
    let end = acked
        .await?
        .ok_or("the plaintext publisher lost its connection")?;
    Ok(Run {
        rate: n as f64 / (end - start).as_secs_f64(),
        cpu_us: cpu.per_message(n)?.total(),
    })
}

/// Sealed: payseal-rumqttc seals each payload in the publishing task (`tasks` of them, each
/// publishing its share); messages per second until `flush` saw the last PUBACK.
async fn sealed(broker: &Mosquitto, payloads: &Arc<Vec<Vec<u8>>>, tasks: usize) -> Result<Run> {
    let n = payloads.len();
    let sealer = Sealer::new(
        SigningKey::generate(Algorithm::Ed25519)?,
        Counter::starting_at(1),
        SystemClock,
    );
    let (client, mut events) = SecureClient::connect(
        options(broker, &format!("publish-sealed-{tasks}")),
        Security::new().sealer(sealer),
    );
    while !matches!(
        events.recv().await,
        Some(payseal_rumqttc::Event::Connected { .. })
    ) {}
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let cpu = Meter::start(broker.pid(), None)?;
    let start = Instant::now();
    let publishers: Vec<_> = (0..tasks)
        .map(|t| {
            let (client, payloads) = (client.clone(), Arc::clone(payloads));
            tokio::spawn(async move {
                for p in payloads.iter().skip(t).step_by(tasks) {
                    client.publish(TOPIC, QoS::AtLeastOnce, false, p).await?;
                }
                Ok::<_, payseal_rumqttc::Error>(())
            })
        })
        .collect();
    for publisher in publishers {
        publisher.await??;
    }
    client
        .flush(Duration::from_secs(60))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    Ok(Run {
        rate,
        cpu_us: cpu.per_message(n)?.total(),
    })
}

/// µs per seal of one payload on this thread, with nothing sent.
fn seal_alone(payloads: &[Vec<u8>]) -> Result<f64> {
    let mut sealer = Sealer::new(
        SigningKey::generate(Algorithm::Ed25519)?,
        Counter::starting_at(1),
        SystemClock,
    );
    let start = Instant::now();
    for p in payloads {
        std::hint::black_box(sealer.seal(TOPIC, p)?);
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / payloads.len() as f64)
}
