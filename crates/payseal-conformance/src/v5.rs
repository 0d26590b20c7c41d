//! MQTT 5 only: the envelope's properties on the wire, and the broker's maximum packet size.

use std::time::{Duration, Instant};

use payseal_mqtt::{CONTENT_TYPE, Event, QoS, Security};
use payseal_testkit::relay::Relay;

use crate::sizes::read_varint;
use crate::support::{WAIT, broker, connected, opener, publisher, sealer, until_connected};
use crate::{Adapter, Endpoint, Refusal};

/// Every sealed PUBLISH carries payload format indicator 0 and the envelope content type.
pub async fn publishes_carry_the_content_type_and_payload_format<A: Adapter>() {
    assert!(A::MQTT5, "{} is not an MQTT 5 client", A::NAME);
    let broker = broker("");
    let relay = Relay::start(broker.port()).await.unwrap();
    let (publ, mut events) = publisher::<A>(relay.port(), "pub5");
    connected(&mut events).await;
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce] {
        A::publish(&publ, "plant/3/temp", qos, false, b"21.5")
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let publishes: Vec<_> = relay
        .sent()
        .into_iter()
        .filter(|f| f.packet_type() == 3)
        .collect();
    assert_eq!(publishes.len(), 2);
    for frame in publishes {
        let props = properties(&frame.0);
        let mut content_type = Vec::from([0x03]);
        content_type.extend_from_slice(&u16::try_from(CONTENT_TYPE.len()).unwrap().to_be_bytes());
        content_type.extend_from_slice(CONTENT_TYPE.as_bytes());
        assert!(
            props.windows(2).any(|w| w == [0x01, 0x00]),
            "payload format indicator 0 in {props:02x?}"
        );
        assert!(
            props
                .windows(content_type.len())
                .any(|w| w == content_type.as_slice()),
            "content type in {props:02x?}"
        );
    }
}

/// The properties of an MQTT 5 PUBLISH frame.
fn properties(bytes: &[u8]) -> Vec<u8> {
    let (_, varint) = read_varint(&bytes[1..]);
    let mut at = 1 + varint;
    let topic_len = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    at += 2 + topic_len;
    if (bytes[0] >> 1) & 3 > 0 {
        at += 2;
    }
    let (len, varint) = read_varint(&bytes[at..]);
    at += varint;
    bytes[at..at + len].to_vec()
}

/// The broker announces 2,000 bytes in CONNACK; a publish under the client's limit but over
/// the broker's is refused with the typed error naming 2,000, and the connection stays up.
pub async fn broker_max_packet_size_is_honoured_with_a_typed_error<A: Adapter>() {
    assert!(A::MQTT5, "{} is not an MQTT 5 client", A::NAME);
    let broker = broker("max_packet_size 2000");
    let mut seen = Vec::new();
    let (sub, mut sub_events) = A::connect(
        &Endpoint::new("sub5", broker.port()),
        Security::new().opener(opener()),
    );
    let (publ, mut pub_events) = A::connect(
        &Endpoint::new("pub5", broker.port()),
        Security::new().sealer(sealer()),
    );
    until_connected(&mut pub_events, &mut seen).await;
    until_connected(&mut sub_events, &mut seen).await;
    A::subscribe(&sub, "plant/#", QoS::AtLeastOnce)
        .await
        .unwrap();

    let refused = A::publish(
        &publ,
        "plant/3/temp",
        QoS::AtLeastOnce,
        false,
        &[0u8; 1_950],
    )
    .await;
    assert!(
        matches!(refused, Err(Refusal::TooLarge { limit: 2000, .. })),
        "over the broker's 2000-byte limit: {refused:?}"
    );
    let deadline = Instant::now() + WAIT;
    loop {
        A::publish(&publ, "plant/3/temp", QoS::AtMostOnce, false, b"small")
            .await
            .unwrap();
        match tokio::time::timeout(Duration::from_millis(200), sub_events.recv()).await {
            Ok(Some(Event::Message(m))) if m.verified.payload() == b"small" => break,
            Ok(Some(other)) => seen.push(format!("{other:?}")),
            Ok(None) => panic!("closed"),
            Err(_) => {}
        }
        assert!(Instant::now() < deadline, "no small message: {seen:#?}");
    }
    let mut disconnects = 0;
    while let Ok(e) = pub_events.try_recv() {
        if matches!(e, Event::Disconnected { .. }) {
            disconnects += 1;
        }
    }
    assert_eq!(disconnects, 0, "the publisher's connection never dropped");
}
