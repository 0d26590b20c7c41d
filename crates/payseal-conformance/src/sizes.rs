//! Packet sizes (spec/mqtt-adapters.md §5): the typed `TooLarge` refusal, the exact boundary
//! at the broker, and the sizes on the wire equal to the computed ones.

use payseal_mqtt::adapter::{envelope_properties_len, publish_v4, publish_v5};
use payseal_mqtt::{CONTENT_TYPE, Event, QoS, Security};
use payseal_testkit::mqtt::Frame;
use payseal_testkit::relay::Relay;

use crate::support::{broker, connected, opener, sealer, subscribed, until, until_connected};
use crate::{Adapter, Endpoint, Refusal};

/// The exact PUBLISH size of a sealed `payload` on `topic` for this adapter's MQTT version,
/// measured with a sealer like the clients'.
pub fn sealed_packet_size<A: Adapter>(topic: &str, qos: QoS, payload: &[u8]) -> usize {
    let envelope = sealer().seal(topic, payload).unwrap();
    packet_size::<A>(topic, qos, envelope.len())
}

fn packet_size<A: Adapter>(topic: &str, qos: QoS, envelope_len: usize) -> usize {
    if A::MQTT5 {
        publish_v5(
            topic,
            qos,
            envelope_properties_len(CONTENT_TYPE),
            envelope_len,
        )
    } else {
        publish_v4(topic, qos, envelope_len)
    }
}

/// A publish over the configured maximum packet size is refused with the typed error, and
/// the connection stays usable.
pub async fn oversized_publish_is_refused_with_a_typed_error<A: Adapter>() {
    let broker = broker("");
    let security = Security::new().sealer(sealer()).max_packet_size(2_000);
    let (publ, mut events) = A::connect(&Endpoint::new("pub", broker.port()), security);
    connected(&mut events).await;
    let err = A::publish(
        &publ,
        "plant/3/temp",
        QoS::AtLeastOnce,
        false,
        &[0u8; 1_900],
    )
    .await;
    assert!(
        matches!(err, Err(Refusal::TooLarge { limit: 2_000, .. })),
        "{err:?}"
    );
    A::publish(&publ, "plant/3/temp", QoS::AtLeastOnce, false, b"small")
        .await
        .unwrap();
}

/// A sealed publish exactly at the broker's maximum packet size is sent and delivered; one
/// byte more is refused before sending.
pub async fn a_packet_of_exactly_the_maximum_size_is_sent<A: Adapter>() {
    let topic = "plant/3/temp";
    let payload = vec![7u8; 1_000];
    let exact = sealed_packet_size::<A>(topic, QoS::AtLeastOnce, &payload);
    let broker = broker(&format!("max_packet_size {exact}"));
    let mut seen = Vec::new();
    let (sub, mut sub_events) = A::connect(
        &Endpoint::new("sub", broker.port()),
        Security::new().opener(opener()),
    );
    let (publ, mut pub_events) = A::connect(
        &Endpoint::new("pub", broker.port()),
        Security::new().sealer(sealer()).max_packet_size(exact),
    );
    until_connected(&mut pub_events, &mut seen).await;
    subscribed::<A, A>(&sub, &mut sub_events, &publ, &mut seen).await;

    let refused = A::publish(&publ, topic, QoS::AtLeastOnce, false, &[7u8; 1_001]).await;
    assert!(
        matches!(refused, Err(Refusal::TooLarge { .. })),
        "{refused:?}"
    );
    let sent = A::publish(&publ, topic, QoS::AtLeastOnce, false, &payload).await;
    assert!(sent.is_ok(), "exactly {exact} bytes fits: {sent:?}");
    let m = until(
        &mut sub_events,
        &mut seen,
        |e| matches!(e, Event::Message(m) if m.verified.topic() == topic),
    )
    .await;
    let Event::Message(m) = m else { unreachable!() };
    assert_eq!(m.verified.payload(), &payload[..]);
}

/// Every sealed PUBLISH the client writes is exactly as long as computed, across the
/// remaining-length boundaries (measured on the wire by a relay).
pub async fn packet_sizes_on_the_wire_are_the_computed_ones<A: Adapter>() {
    let broker = broker("");
    let relay = Relay::start(broker.port()).await.unwrap();
    let (publ, mut events) = A::connect(
        &Endpoint::new("pub", relay.port()),
        Security::new().sealer(sealer()),
    );
    connected(&mut events).await;
    let topic = "plant/3/size";
    // Payloads putting the packet on both sides of 128 and 16,384 bytes, at QoS 0 and 1.
    let mut expected = Vec::new();
    for len in [
        0usize, 1, 10, 14, 20, 16_150, 16_250, 16_270, 16_300, 20_000,
    ] {
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce] {
            let payload = vec![0x5a; len];
            A::publish(&publ, topic, qos, false, &payload)
                .await
                .unwrap();
            expected.push((len, qos));
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let frames: Vec<Frame> = relay
        .sent()
        .into_iter()
        .filter(|f| f.packet_type() == 3)
        .collect();
    assert_eq!(frames.len(), expected.len(), "every publish on the wire");
    let mut crossed = (false, false);
    for (frame, (len, qos)) in frames.iter().zip(expected) {
        let envelope_len = envelope_len::<A>(frame);
        let computed = packet_size::<A>(topic, qos, envelope_len);
        assert_eq!(frame.0.len(), computed, "payload {len} at {qos:?}");
        crossed.0 |= computed > 130 && computed < 16_000;
        crossed.1 |= computed > 16_390;
    }
    assert!(crossed.0 && crossed.1, "the sizes cover both boundaries");
}

/// The envelope's length inside a PUBLISH frame (topic, packet id and MQTT 5 properties
/// skipped).
fn envelope_len<A: Adapter>(frame: &Frame) -> usize {
    let bytes = &frame.0;
    let mut at = 1;
    while bytes[at] & 0x80 != 0 {
        at += 1;
    }
    at += 1;
    let topic_len = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    at += 2 + topic_len;
    if (bytes[0] >> 1) & 3 > 0 {
        at += 2;
    }
    if A::MQTT5 {
        let (props_len, varint) = read_varint(&bytes[at..]);
        at += varint + props_len;
    }
    bytes.len() - at
}

/// An MQTT variable byte integer: its value and its length.
pub fn read_varint(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().take(4).enumerate() {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("malformed variable byte integer")
}
