//! MQTT realities (spec/mqtt-adapters.md §2-§6): retained messages, the sealed will,
//! reconnects, resubscription, and QoS 1 repeats after lost acknowledgements.

use std::time::Duration;

use payseal::{Kid, Opener, Policy, SystemClock};
use payseal_mqtt::{Event, QoS, Security, Will};
use payseal_testkit::Mosquitto;
use payseal_testkit::relay::Relay;

use crate::support::{
    WAIT, broker, connected, drain, message, next, opener, publisher, sealer, sensor_key,
    subscribe, subscribed, subscriber, trust, until, until_connected, wait_probe,
};
use crate::{Adapter, Endpoint};

/// A retained message (sealed as retained state by the publishing adapter) reaches a late
/// subscriber once (within its retained limit); the broker sending it again on a new
/// subscription is a duplicate.
pub async fn retained_message_is_delivered_once_within_its_max_age<A: Adapter>() {
    let broker = broker("");
    let (publ, mut pe) = publisher::<A>(broker.port(), "pub");
    connected(&mut pe).await;
    A::publish(&publ, "plant/3/setpoint", QoS::AtLeastOnce, true, b"20.0")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let security = Security::new()
        .opener(opener())
        .retained_topic("plant/#", Duration::from_secs(86_400))
        .unwrap();
    let (sub, mut events) = A::connect(&Endpoint::new("late-sub", broker.port()), security);
    subscribe::<A>(&sub, &mut events, "plant/#", QoS::AtLeastOnce).await;
    let m = message(next(&mut events).await);
    assert!(m.retain);
    assert_eq!(m.verified.payload(), b"20.0");
    A::subscribe(&sub, "plant/3/setpoint", QoS::AtLeastOnce)
        .await
        .unwrap();
    assert!(matches!(next(&mut events).await, Event::Duplicate { .. }));
}

/// The broker publishes the sealed will when the sender's connection vanishes; it arrives
/// verified, from the will kid.
pub async fn sealed_will_is_delivered_verified_when_the_sender_vanishes<A: Adapter>() {
    let broker = broker("");
    let will_kid = Kid::new(b"sensor-7/will".to_vec()).unwrap();
    let mut trust = trust();
    trust
        .add_sender_with_kid(
            will_kid.clone(),
            sensor_key().verifying_key(),
            ["plant/3/status"],
        )
        .unwrap();
    let security = Security::new()
        .opener(Opener::new(trust, Policy::default(), SystemClock))
        .will_topic("plant/+/status", Duration::from_secs(7 * 86_400))
        .unwrap()
        .will_kid(will_kid.clone());
    let (sub, mut events) = A::connect(&Endpoint::new("sub", broker.port()), security);
    subscribe::<A>(&sub, &mut events, "plant/#", QoS::AtLeastOnce).await;

    // The sensor connects through a relay we can cut.
    let relay = Relay::start(broker.port()).await.unwrap();
    let will_sealer = sealer().with_kid(will_kid.clone());
    let security = Security::new().sealer(sealer()).will(Will::new(
        "plant/3/status",
        b"offline".to_vec(),
        QoS::AtLeastOnce,
        false,
        will_sealer,
    ));
    let (sensor, mut sensor_events) =
        A::connect(&Endpoint::new("sensor-7", relay.port()), security);
    connected(&mut sensor_events).await;
    A::publish(&sensor, "plant/3/temp", QoS::AtLeastOnce, false, b"21.5")
        .await
        .unwrap();
    assert_eq!(message(next(&mut events).await).verified.payload(), b"21.5");

    // The network drops: the broker sees the connection vanish and publishes the will.
    drop(relay);
    let m = message(next(&mut events).await);
    assert_eq!(m.verified.topic(), "plant/3/status");
    assert_eq!(m.verified.payload(), b"offline");
    assert_eq!(m.verified.sender(), &will_kid);
    assert_eq!(m.verified.kind(), payseal::MessageKind::Will);
}

/// Both clients come back by themselves after the broker restarts.
pub async fn clients_reconnect_after_a_broker_restart<A: Adapter>() {
    let broker = broker("");
    let port = broker.port();
    let (sub, mut sub_events) = subscriber::<A>(port, "sub");
    subscribe::<A>(&sub, &mut sub_events, "plant/#", QoS::AtLeastOnce).await;
    let (publ, mut pub_events) = publisher::<A>(port, "pub");
    connected(&mut pub_events).await;
    A::publish(&publ, "plant/3/temp", QoS::AtLeastOnce, false, b"before")
        .await
        .unwrap();
    assert_eq!(
        message(next(&mut sub_events).await).verified.payload(),
        b"before"
    );

    broker.kill();
    let _broker = Mosquitto::start_on(port, "").expect("mosquitto restarts on the same port");
    connected(&mut sub_events).await;
    A::subscribe(&sub, "plant/#", QoS::AtLeastOnce)
        .await
        .unwrap();
    connected(&mut pub_events).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    A::publish(&publ, "plant/3/temp", QoS::AtLeastOnce, false, b"after")
        .await
        .unwrap();
    assert_eq!(
        message(next(&mut sub_events).await).verified.payload(),
        b"after"
    );
}

/// After a broker restart (sessions lost) the adapter restores its subscriptions itself.
pub async fn subscriptions_survive_a_broker_restart_without_the_app_resubscribing<A: Adapter>() {
    let broker = broker("");
    let port = broker.port();
    let mut seen = Vec::new();
    let (sub, mut sub_events) = subscriber::<A>(port, "sub");
    let (publ, mut pub_events) = publisher::<A>(port, "pub");
    until_connected(&mut pub_events, &mut seen).await;
    subscribed::<A, A>(&sub, &mut sub_events, &publ, &mut seen).await;

    broker.kill();
    let _broker = Mosquitto::start_on(port, "").expect("mosquitto restarts on the same port");
    until_connected(&mut sub_events, &mut seen).await;
    until_connected(&mut pub_events, &mut seen).await;
    // No subscribe here.
    wait_probe::<A>(&mut sub_events, &publ, &mut seen).await;
}

/// The subscriber's PUBACK is lost and its connection drops; on reconnect (persistent
/// session) the broker redelivers with DUP=1: delivered once, then a duplicate.
pub async fn real_dup_redelivery_after_a_lost_puback_is_a_duplicate<A: Adapter>() {
    let broker = broker("");
    let relay = Relay::start(broker.port()).await.unwrap();
    let mut seen = Vec::new();
    let endpoint = Endpoint::new("sub-persistent", relay.port()).persistent();
    let (sub, mut sub_events) = A::connect(&endpoint, Security::new().opener(opener()));
    let (publ, mut pub_events) = publisher::<A>(broker.port(), "pub");
    until_connected(&mut pub_events, &mut seen).await;
    subscribed::<A, A>(&sub, &mut sub_events, &publ, &mut seen).await;

    relay.swallow_up(true);
    A::publish(&publ, "plant/3/temp", QoS::AtLeastOnce, false, b"once")
        .await
        .unwrap();
    let first = until(
        &mut sub_events,
        &mut seen,
        |e| matches!(e, Event::Message(m) if m.verified.topic() == "plant/3/temp"),
    )
    .await;
    assert!(
        relay.wait_swallowed_puback(WAIT).await,
        "the subscriber's PUBACK was swallowed"
    );
    relay.cut();
    relay.swallow_up(false);
    let first = message(first);
    let again = until(&mut sub_events, &mut seen, |e| {
        matches!(
            e,
            Event::Message(_) | Event::Rejected { .. } | Event::Duplicate { .. }
        )
    })
    .await;
    assert!(
        matches!(&again, Event::Duplicate { seq, .. } if *seq == first.verified.seq()),
        "redelivery must be a duplicate, got {again:?}"
    );
    let rest = drain(&mut sub_events, Duration::from_millis(500)).await;
    assert!(rest.is_empty(), "nothing more: {rest:#?}");
}

/// The publisher's PUBACK is lost; it reconnects (persistent session) and retransmits, which
/// the broker forwards as a new message with DUP=0: a duplicate, not an attack. The publish
/// itself completes once the retransmission is acknowledged.
pub async fn publisher_retransmission_reforwarded_with_dup_0_is_a_duplicate<A: Adapter>() {
    let broker = broker("");
    let relay = Relay::start(broker.port()).await.unwrap();
    let mut seen = Vec::new();
    let (sub, mut sub_events) = subscriber::<A>(broker.port(), "sub");
    let endpoint = Endpoint::new("pub-persistent", relay.port()).persistent();
    let (publ, mut pub_events) = A::connect(&endpoint, Security::new().sealer(sealer()));
    until_connected(&mut pub_events, &mut seen).await;
    subscribed::<A, A>(&sub, &mut sub_events, &publ, &mut seen).await;

    relay.swallow_down(true);
    // The publish may wait for its acknowledgement (paho does), which comes only after the
    // reconnect: run it aside.
    let publishing = {
        let publ = publ.clone();
        tokio::spawn(async move {
            A::publish(
                &publ,
                "plant/3/temp",
                QoS::AtLeastOnce,
                false,
                b"at least once",
            )
            .await
        })
    };
    let first = until(
        &mut sub_events,
        &mut seen,
        |e| matches!(e, Event::Message(m) if m.verified.topic() == "plant/3/temp"),
    )
    .await;
    assert!(
        relay.wait_swallowed_puback(WAIT).await,
        "the publisher's PUBACK was swallowed"
    );
    relay.cut();
    relay.swallow_down(false);
    let first = message(first);
    let again = until(&mut sub_events, &mut seen, |e| {
        matches!(
            e,
            Event::Message(_) | Event::Rejected { .. } | Event::Duplicate { .. }
        )
    })
    .await;
    assert!(
        matches!(&again, Event::Duplicate { seq, .. } if *seq == first.verified.seq()),
        "a QoS 1 retransmission is a duplicate, got {again:?}"
    );
    let published = tokio::time::timeout(WAIT, publishing).await;
    assert!(
        matches!(published, Ok(Ok(Ok(())))),
        "the publish completes after the retransmission: {published:?}"
    );
}
