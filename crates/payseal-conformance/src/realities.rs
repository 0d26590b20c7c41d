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

/// Issue 16 item 12: a will sealed at connect only goes `stale` on a connection longer than
/// the receivers' will limit. With `Will::refresh_every` the adapter re-seals and re-registers
/// the will (clean DISCONNECT, reconnect with the same persistent session); the broker never
/// publishes the will for a refresh, QoS 1 messages both ways arrive exactly once, the
/// application sees no disconnect, and the will published after the connection lasted longer
/// than the limit is accepted.
pub async fn will_is_refreshed_before_it_goes_stale<A: Adapter>() {
    const WILL_LIMIT: Duration = Duration::from_secs(3);
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
        .will_topic("plant/+/status", WILL_LIMIT)
        .unwrap()
        .will_kid(will_kid.clone());
    let (sub, mut events) = A::connect(&Endpoint::new("sub", broker.port()), security);
    // Not plant/#: the commander below seals with the sensor's key id (one replay window).
    subscribe::<A>(&sub, &mut events, "plant/3/temp", QoS::AtLeastOnce).await;
    A::subscribe(&sub, "plant/3/status", QoS::AtLeastOnce)
        .await
        .unwrap();

    // The sensor (persistent session) connects through a relay we can cut, refreshing its
    // will every second, and receives commands.
    let relay = Relay::start(broker.port()).await.unwrap();
    let will = Will::new(
        "plant/3/status",
        b"offline".to_vec(),
        QoS::AtLeastOnce,
        false,
        sealer().with_kid(will_kid.clone()),
    )
    .refresh_every(Duration::from_secs(1));
    let security = Security::new().sealer(sealer()).opener(opener()).will(will);
    let (sensor, mut sensor_events) = A::connect(
        &Endpoint::new("sensor-7", relay.port()).persistent(),
        security,
    );
    subscribe::<A>(&sensor, &mut sensor_events, "plant/3/cmd", QoS::AtLeastOnce).await;
    let (commander, mut commander_events) = publisher::<A>(broker.port(), "commander");
    connected(&mut commander_events).await;

    // Keep the connection up longer than the will limit, with QoS 1 traffic both ways.
    let rounds = 24_u32;
    let mut sent = Vec::new();
    for i in 0..rounds {
        let temp = format!("temp {i}");
        A::publish(
            &sensor,
            "plant/3/temp",
            QoS::AtLeastOnce,
            false,
            temp.as_bytes(),
        )
        .await
        .unwrap();
        let cmd = format!("cmd {i}");
        A::publish(
            &commander,
            "plant/3/cmd",
            QoS::AtLeastOnce,
            false,
            cmd.as_bytes(),
        )
        .await
        .unwrap();
        sent.push((temp, cmd));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // 4.8 s and counting: the will sealed at connect would be stale now.
    let mut temps = Vec::new();
    let mut cmds = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while (temps.len() < sent.len() || cmds.len() < sent.len())
        && tokio::time::Instant::now() < deadline
    {
        tokio::select! {
            event = events.recv() => match event {
                Some(Event::Message(m)) => {
                    let topic = m.verified.topic();
                    assert_ne!(topic, "plant/3/status", "the broker published a will");
                    if topic == "plant/3/temp" {
                        temps.push(String::from_utf8(m.verified.payload().to_vec()).unwrap());
                    }
                }
                Some(Event::Connected { .. } | Event::Duplicate { .. }) => {}
                other => panic!("subscriber: unexpected {other:?}"),
            },
            event = sensor_events.recv() => match event {
                Some(Event::Message(m)) => {
                    cmds.push(String::from_utf8(m.verified.payload().to_vec()).unwrap());
                }
                Some(Event::Duplicate { .. }) => {}
                other => panic!("sensor: a refresh must be silent, got {other:?}"),
            },
            () = tokio::time::sleep_until(deadline) => break,
        }
    }
    let expected_temps: Vec<String> = sent.iter().map(|(t, _)| t.clone()).collect();
    let expected_cmds: Vec<String> = sent.iter().map(|(_, c)| c.clone()).collect();
    assert_eq!(
        temps, expected_temps,
        "sensor to subscriber: once each, in order"
    );
    assert_eq!(
        cmds, expected_cmds,
        "commander to sensor: once each, in order"
    );
    let connects = relay
        .sent()
        .iter()
        .filter(|frame| frame.packet_type() == 1)
        .count();
    assert!(
        connects >= 3,
        "the will was refreshed ({connects} CONNECTs)"
    );

    // The network drops: the broker publishes the latest will, which is fresh.
    relay.cut();
    let m = message(next(&mut events).await);
    assert_eq!(m.verified.topic(), "plant/3/status");
    assert_eq!(m.verified.payload(), b"offline");
    assert_eq!(m.verified.sender(), &will_kid);
    assert_eq!(m.verified.kind(), payseal::MessageKind::Will);
    drop(relay);
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
    // "before" may be sent again: when the restart swallowed its PUBACK, the publisher resends
    // it after reconnecting, with the same envelope (spec/mqtt-adapters.md §6a), so the
    // subscriber reports a duplicate of its sequence number, never a second message.
    let after = loop {
        match next(&mut sub_events).await {
            Event::Duplicate { .. } => {}
            other => break message(other),
        }
    };
    assert_eq!(after.verified.payload(), b"after");
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
