//! payseal-rumqttc against a real Mosquitto that each test starts on its own port.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, Kid, Opener, Policy, Recipient, RecipientKey,
    Rejection, Sealer, SigningKey, SystemClock, TrustStore,
};
use payseal_rumqttc::{Event, MqttOptions, PublishError, QoS, SecureClient, Security, Will};
use payseal_testkit::Mosquitto;
use tokio::sync::mpsc::Receiver;

const WAIT: Duration = Duration::from_secs(10);

fn sensor_key() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[1; 32]).unwrap()
}

fn options(broker: &Mosquitto, id: &str) -> MqttOptions {
    let mut o = MqttOptions::new(id, broker.host(), broker.port());
    o.set_keep_alive(Duration::from_secs(5));
    o
}

fn trust() -> TrustStore {
    let mut trust = TrustStore::new();
    trust
        .add_sender(sensor_key().verifying_key(), ["plant/#"])
        .unwrap();
    trust
}

fn publisher(broker: &Mosquitto, id: &str) -> (SecureClient, Receiver<Event>) {
    let security = Security::new().sealer(Sealer::new(
        sensor_key(),
        Counter::from_unix_micros(),
        SystemClock,
    ));
    SecureClient::connect(options(broker, id), security)
}

fn subscriber_with(
    broker: &Mosquitto,
    id: &str,
    security: Security,
) -> (SecureClient, Receiver<Event>) {
    SecureClient::connect(options(broker, id), security)
}

fn subscriber(broker: &Mosquitto, id: &str) -> (SecureClient, Receiver<Event>) {
    let opener = Opener::new(trust(), Policy::default(), SystemClock);
    subscriber_with(broker, id, Security::new().opener(opener))
}

/// The next event that is not a connection event, or a panic after `WAIT`.
async fn next(events: &mut Receiver<Event>) -> Event {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(Event::Connected { .. })) => continue,
            Ok(Some(Event::Disconnected { error })) => {
                eprintln!("disconnected: {error}");
                continue;
            }
            Ok(Some(event)) => return event,
            Ok(None) => panic!("event stream closed"),
            Err(_) => panic!("no event within {WAIT:?}"),
        }
    }
}

async fn connected(events: &mut Receiver<Event>) {
    let wait = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(Event::Connected { .. }) = events.recv().await {
                return;
            }
        }
    });
    wait.await.expect("connected");
}

async fn subscribe(client: &SecureClient, events: &mut Receiver<Event>, filter: &str, qos: QoS) {
    connected(events).await;
    client.subscribe(filter, qos).await.unwrap();
    // Mosquitto processes SUBSCRIBE before later PUBLISHes of other clients only once it
    // has acknowledged it; a short settle time stands in for waiting on the SUBACK.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

fn message(event: Event) -> payseal_rumqttc::Message {
    match event {
        Event::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_messages_at_every_qos() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let (sub, mut sub_events) = subscriber(&broker, "sub");
    subscribe(&sub, &mut sub_events, "plant/#", QoS::ExactlyOnce).await;
    let (publ, _pub_events) = publisher(&broker, "pub");
    for (i, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
        .into_iter()
        .enumerate()
    {
        let payload = format!("reading {i}");
        publ.publish("plant/3/temp", qos, false, payload.as_bytes())
            .await
            .unwrap();
        let m = message(next(&mut sub_events).await);
        assert_eq!(m.verified.payload(), payload.as_bytes());
        assert_eq!(m.verified.sender(), &sensor_key().kid());
        assert_eq!(m.qos, qos);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_forged_and_unauthorized_messages_are_rejected_not_delivered() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let (sub, mut sub_events) = subscriber(&broker, "sub");
    subscribe(&sub, &mut sub_events, "#", QoS::AtLeastOnce).await;

    // A plain rumqttc client publishing in the clear.
    let (plain, mut plain_loop) = rumqttc::AsyncClient::new(options(&broker, "plain"), 10);
    tokio::spawn(async move { while plain_loop.poll().await.is_ok() {} });
    plain
        .publish(
            "plant/3/temp",
            rumqttc::QoS::AtLeastOnce,
            false,
            b"21.5".to_vec(),
        )
        .await
        .unwrap();
    match next(&mut sub_events).await {
        Event::Rejected { topic, reason } => {
            assert_eq!(topic, "plant/3/temp");
            assert!(matches!(reason, Rejection::Malformed(_)), "{reason:?}");
        }
        other => panic!("a plain message must be rejected, got {other:?}"),
    }

    // A sender nobody trusts.
    let stranger = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[9; 32]).unwrap();
    let security =
        Security::new().sealer(Sealer::new(stranger, Counter::starting_at(1), SystemClock));
    let (forger, _e) = SecureClient::connect(options(&broker, "forger"), security);
    forger
        .publish("plant/3/temp", QoS::AtLeastOnce, false, b"99")
        .await
        .unwrap();
    assert!(matches!(
        next(&mut sub_events).await,
        Event::Rejected {
            reason: Rejection::UnknownSender,
            ..
        }
    ));

    // The trusted sensor, off its topics.
    let (publ, _pe) = publisher(&broker, "pub");
    publ.publish("office/door", QoS::AtLeastOnce, false, b"open")
        .await
        .unwrap();
    assert!(matches!(
        next(&mut sub_events).await,
        Event::Rejected {
            reason: Rejection::TopicNotAuthorized,
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_to_three_subscribers_one_not_a_recipient() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let keys: Vec<RecipientKey> = (0..3)
        .map(|n| RecipientKey::from_secret_bytes(KemKind::X25519, &[n + 10; 32]).unwrap())
        .collect();
    let audience =
        Audience::recipients(keys[..2].iter().map(|k| Recipient::new(k.public_key()))).unwrap();
    let mut subs = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        let mut keyring = Keyring::new();
        keyring.add_recipient_key(key.clone()).unwrap();
        let opener = Opener::new(trust(), Policy::default(), SystemClock).with_keyring(keyring);
        let (client, mut events) =
            subscriber_with(&broker, &format!("sub{n}"), Security::new().opener(opener));
        subscribe(&client, &mut events, "plant/#", QoS::AtLeastOnce).await;
        subs.push((client, events));
    }
    let sealer = Sealer::new(sensor_key(), Counter::from_unix_micros(), SystemClock)
        .with_audience("plant/+/secret", audience)
        .unwrap();
    let (publ, _pe) =
        SecureClient::connect(options(&broker, "pub"), Security::new().sealer(sealer));
    publ.publish("plant/3/secret", QoS::AtLeastOnce, false, b"code 1234")
        .await
        .unwrap();
    for (n, (_, events)) in subs.iter_mut().enumerate() {
        match next(events).await {
            Event::Message(m) if n < 2 => {
                assert_eq!(m.verified.payload(), b"code 1234");
                assert!(m.verified.encryption().is_some());
            }
            Event::Rejected {
                reason: Rejection::NotForMe,
                ..
            } if n == 2 => {}
            other => panic!("subscriber {n}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_publish_is_refused_with_a_typed_error() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let security = Security::new()
        .sealer(Sealer::new(
            sensor_key(),
            Counter::starting_at(1),
            SystemClock,
        ))
        .max_packet_size(2_000);
    let (publ, mut events) = SecureClient::connect(options(&broker, "pub"), security);
    connected(&mut events).await;
    let err = publ
        .publish("plant/3/temp", QoS::AtLeastOnce, false, &[0u8; 1_900])
        .await;
    assert!(
        matches!(err, Err(PublishError::TooLarge { limit: 2_000, .. })),
        "{err:?}"
    );
    // The connection is still fine: a small message goes through.
    publ.publish("plant/3/temp", QoS::AtLeastOnce, false, b"small")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retained_message_is_delivered_once_within_its_max_age() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let (publ, mut pe) = publisher(&broker, "pub");
    connected(&mut pe).await;
    publ.publish("plant/3/setpoint", QoS::AtLeastOnce, true, b"20.0")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let opener = Opener::new(trust(), Policy::default(), SystemClock);
    let security = Security::new()
        .opener(opener)
        .retained_max_age(Duration::from_secs(86_400));
    let (sub, mut events) = subscriber_with(&broker, "late-sub", security);
    subscribe(&sub, &mut events, "plant/#", QoS::AtLeastOnce).await;
    let m = message(next(&mut events).await);
    assert!(m.retain);
    assert_eq!(m.verified.payload(), b"20.0");
    // Subscribing again makes the broker send the retained message again: a duplicate.
    sub.subscribe("plant/3/setpoint", QoS::AtLeastOnce)
        .await
        .unwrap();
    assert!(matches!(next(&mut events).await, Event::Duplicate { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_will_is_delivered_verified_when_the_sender_vanishes() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let will_kid = Kid::new(b"sensor-7/will".to_vec()).unwrap();
    let mut trust = trust();
    trust
        .add_sender_with_kid(
            will_kid.clone(),
            sensor_key().verifying_key(),
            ["plant/3/status"],
        )
        .unwrap();
    let opener = Opener::new(trust, Policy::default(), SystemClock);
    let security = Security::new()
        .opener(opener)
        .will_topic("plant/+/status", Duration::from_secs(7 * 86_400))
        .unwrap();
    let (sub, mut events) = subscriber_with(&broker, "sub", security);
    subscribe(&sub, &mut events, "plant/#", QoS::AtLeastOnce).await;

    // The sensor connects with a sealed will, through a raw TCP relay we can cut.
    let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_port = relay.local_addr().unwrap().port();
    let broker_port = broker.port();
    let cut = tokio::spawn(async move {
        let (mut inbound, _) = relay.accept().await.unwrap();
        let mut outbound = tokio::net::TcpStream::connect(("127.0.0.1", broker_port))
            .await
            .unwrap();
        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
    });
    let will_sealer = Sealer::new(sensor_key(), Counter::from_unix_micros(), SystemClock)
        .with_kid(will_kid.clone());
    let security = Security::new()
        .sealer(Sealer::new(
            sensor_key(),
            Counter::from_unix_micros(),
            SystemClock,
        ))
        .will(Will::new(
            "plant/3/status",
            b"offline".to_vec(),
            QoS::AtLeastOnce,
            false,
            will_sealer,
        ));
    let mut o = MqttOptions::new("sensor-7", "127.0.0.1", relay_port);
    o.set_keep_alive(Duration::from_secs(5));
    let (sensor, mut sensor_events) = SecureClient::connect(o, security);
    connected(&mut sensor_events).await;
    sensor
        .publish("plant/3/temp", QoS::AtLeastOnce, false, b"21.5")
        .await
        .unwrap();
    assert_eq!(message(next(&mut events).await).verified.payload(), b"21.5");

    // The network drops: the broker sees the TCP connection vanish and publishes the will.
    cut.abort();
    let m = message(next(&mut events).await);
    assert_eq!(m.verified.topic(), "plant/3/status");
    assert_eq!(m.verified.payload(), b"offline");
    assert_eq!(m.verified.sender(), &will_kid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_reconnect_after_a_broker_restart() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let port = broker.port();
    let (sub, mut sub_events) = subscriber(&broker, "sub");
    subscribe(&sub, &mut sub_events, "plant/#", QoS::AtLeastOnce).await;
    let (publ, mut pub_events) = publisher(&broker, "pub");
    connected(&mut pub_events).await;
    publ.publish("plant/3/temp", QoS::AtLeastOnce, false, b"before")
        .await
        .unwrap();
    assert_eq!(
        message(next(&mut sub_events).await).verified.payload(),
        b"before"
    );

    broker.kill();
    let broker = Mosquitto::start_on(port, "").expect("mosquitto restarts on the same port");
    // Both clients come back by themselves; the subscriber must subscribe again (clean session).
    connected(&mut sub_events).await;
    sub.subscribe("plant/#", QoS::AtLeastOnce).await.unwrap();
    connected(&mut pub_events).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    publ.publish("plant/3/temp", QoS::AtLeastOnce, false, b"after")
        .await
        .unwrap();
    assert_eq!(
        message(next(&mut sub_events).await).verified.payload(),
        b"after"
    );
    drop(broker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_qos1_messages_exactly_once_in_order() {
    const N: usize = 10_000;
    let broker = Mosquitto::start().expect("mosquitto must start");
    let (sub, mut sub_events) = subscriber(&broker, "sub");
    subscribe(&sub, &mut sub_events, "plant/#", QoS::AtLeastOnce).await;
    let (publ, mut pe) = publisher(&broker, "pub");
    connected(&mut pe).await;
    let start = Instant::now();
    let sender = tokio::spawn(async move {
        for i in 0..N {
            publ.publish(
                "plant/3/temp",
                QoS::AtLeastOnce,
                false,
                format!("{i}").as_bytes(),
            )
            .await
            .unwrap();
        }
        publ
    });
    let mut last_seq = None;
    for i in 0..N {
        let event = tokio::time::timeout(WAIT, next(&mut sub_events)).await;
        let m = message(event.unwrap_or_else(|_| panic!("message {i} did not arrive")));
        assert_eq!(
            m.verified.payload(),
            format!("{i}").as_bytes(),
            "message {i}"
        );
        if let Some(last) = last_seq {
            assert!(m.verified.seq() > last, "in order");
        }
        last_seq = Some(m.verified.seq());
    }
    let elapsed = start.elapsed();
    let _publisher = sender.await.unwrap();
    // Nothing more arrives: exactly once.
    let extra = tokio::time::timeout(Duration::from_millis(500), sub_events.recv()).await;
    assert!(
        !matches!(extra, Ok(Some(Event::Message(_)))),
        "a message arrived twice"
    );
    println!(
        "{N} sealed QoS 1 messages in {elapsed:?} ({:.0} msgs/s)",
        N as f64 / elapsed.as_secs_f64()
    );
}
