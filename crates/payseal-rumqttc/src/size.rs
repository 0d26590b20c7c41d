//! Exact MQTT PUBLISH packet sizes, to refuse an oversized publish before rumqttc takes it.
//!
//! rumqttc compares the whole packet (fixed header, variable header, payload) with the
//! maximum packet size when it writes it (MQTT 3.1.1 §2.2.3, MQTT 5 §3.1.2.11.4); a packet
//! one byte over fails the connection. An estimate that is too high refuses packets that fit,
//! one that is too low lets the connection die, so the size is computed exactly.

use rumqttc::QoS;

/// Bytes of the MQTT variable byte integer encoding `n` (the remaining length, MQTT 5's
/// property length).
fn varint_len(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// The packet id is present for QoS 1 and 2 only.
fn packet_id_len(qos: QoS) -> usize {
    match qos {
        QoS::AtMostOnce => 0,
        QoS::AtLeastOnce | QoS::ExactlyOnce => 2,
    }
}

/// The size of an MQTT 3.1.1 PUBLISH packet.
pub(crate) fn publish_v4(topic: &str, qos: QoS, payload_len: usize) -> usize {
    let remaining = 2 + topic.len() + packet_id_len(qos) + payload_len;
    1 + varint_len(remaining) + remaining
}

/// The size of an MQTT 5 PUBLISH packet whose properties take `properties_len` bytes.
pub(crate) fn publish_v5(
    topic: &str,
    qos: QoS,
    properties_len: usize,
    payload_len: usize,
) -> usize {
    let remaining = 2
        + topic.len()
        + packet_id_len(qos)
        + varint_len(properties_len)
        + properties_len
        + payload_len;
    1 + varint_len(remaining) + remaining
}

/// The length of the properties the MQTT 5 client sends: payload format indicator (identifier
/// and one byte) and content type (identifier, two-byte length, the string).
pub(crate) fn envelope_properties_len(content_type: &str) -> usize {
    (1 + 1) + (1 + 2 + content_type.len())
}

/// The maximum packet size in force: the configured one, or the broker's (MQTT 5 CONNACK)
/// when it is smaller. `broker` is 0 when the broker announced none.
pub(crate) fn effective_limit(configured: usize, broker: usize) -> usize {
    if broker == 0 {
        configured
    } else {
        configured.min(broker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::v5::mqttbytes::v5::PublishProperties;

    const QOS: [QoS; 3] = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];

    /// Payload lengths around every change in the remaining-length encoding.
    fn lengths() -> impl Iterator<Item = usize> {
        [
            0, 1, 100, 107, 108, 109, 110, 111, 125, 126, 127, 128, 200, 16_360,
        ]
        .into_iter()
        .chain(16_364..16_390)
        .chain([100_000, 2_097_120, 2_097_130, 2_097_152, 3_000_000])
    }

    fn v5_qos(qos: QoS) -> rumqttc::v5::mqttbytes::QoS {
        match qos {
            QoS::AtMostOnce => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
            QoS::AtLeastOnce => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
            QoS::ExactlyOnce => rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
        }
    }

    #[test]
    fn v4_sizes_match_rumqttc_as_it_writes_them() {
        for topic in ["t", "plant/3/temp", &"x".repeat(300)] {
            for qos in QOS {
                for len in lengths() {
                    let mut publish = rumqttc::Publish::new(topic, qos, vec![0u8; len]);
                    // rumqttc assigns the packet id before writing; it then counts.
                    publish.pkid = u16::from(qos != QoS::AtMostOnce);
                    assert_eq!(
                        publish_v4(topic, qos, len),
                        publish.size(),
                        "{topic} {qos:?} {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn v5_sizes_match_rumqttc_as_it_writes_them() {
        let content_type = "application/cose; cose-type=\"cose-sign1\"";
        let properties = PublishProperties {
            payload_format_indicator: Some(0),
            content_type: Some(content_type.to_string()),
            ..PublishProperties::default()
        };
        for topic in ["t", "plant/3/temp"] {
            for qos in QOS {
                for len in lengths() {
                    let mut publish = rumqttc::v5::mqttbytes::v5::Publish::new(
                        topic,
                        v5_qos(qos),
                        vec![0u8; len],
                        Some(properties.clone()),
                    );
                    publish.pkid = u16::from(qos != QoS::AtMostOnce);
                    let ours = publish_v5(topic, qos, envelope_properties_len(content_type), len);
                    assert_eq!(ours, publish.size(), "{topic} {qos:?} {len}");
                }
            }
        }
    }

    #[test]
    fn the_smaller_limit_wins_and_zero_means_none_announced() {
        assert_eq!(effective_limit(10_000, 0), 10_000);
        assert_eq!(effective_limit(10_000, 2_000), 2_000);
        assert_eq!(effective_limit(1_000, 2_000), 1_000);
    }
}
