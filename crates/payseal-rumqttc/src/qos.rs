//! payseal's [`QoS`] to and from rumqttc's two QoS types (MQTT 3.1.1 and MQTT 5).

use payseal_mqtt::QoS;

/// A QoS the clients take: payseal's [`QoS`] (shared by every adapter), or rumqttc's own, so
/// code written with `rumqttc::QoS` keeps working.
pub trait IntoQoS {
    /// The QoS as payseal's.
    fn into_qos(self) -> QoS;
}

impl IntoQoS for QoS {
    fn into_qos(self) -> QoS {
        self
    }
}

impl IntoQoS for rumqttc::QoS {
    fn into_qos(self) -> QoS {
        from_v4(self)
    }
}

pub(crate) fn to_v4(qos: QoS) -> rumqttc::QoS {
    match qos {
        QoS::AtMostOnce => rumqttc::QoS::AtMostOnce,
        QoS::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
        QoS::ExactlyOnce => rumqttc::QoS::ExactlyOnce,
    }
}

pub(crate) fn from_v4(qos: rumqttc::QoS) -> QoS {
    match qos {
        rumqttc::QoS::AtMostOnce => QoS::AtMostOnce,
        rumqttc::QoS::AtLeastOnce => QoS::AtLeastOnce,
        rumqttc::QoS::ExactlyOnce => QoS::ExactlyOnce,
    }
}

pub(crate) fn to_v5(qos: QoS) -> rumqttc::v5::mqttbytes::QoS {
    use rumqttc::v5::mqttbytes::QoS as Q5;
    match qos {
        QoS::AtMostOnce => Q5::AtMostOnce,
        QoS::AtLeastOnce => Q5::AtLeastOnce,
        QoS::ExactlyOnce => Q5::ExactlyOnce,
    }
}

pub(crate) fn from_v5(qos: rumqttc::v5::mqttbytes::QoS) -> QoS {
    use rumqttc::v5::mqttbytes::QoS as Q5;
    match qos {
        Q5::AtMostOnce => QoS::AtMostOnce,
        Q5::AtLeastOnce => QoS::AtLeastOnce,
        Q5::ExactlyOnce => QoS::ExactlyOnce,
    }
}

/// The shared exact packet sizes (payseal-mqtt) match rumqttc's encoder byte for byte.
#[cfg(test)]
mod size_tests {
    use payseal_mqtt::QoS;
    use payseal_mqtt::adapter::{envelope_properties_len, publish_v4, publish_v5};
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

    #[test]
    fn v4_sizes_match_rumqttc_as_it_writes_them() {
        for topic in ["t", "plant/3/temp", &"x".repeat(300)] {
            for qos in QOS {
                for len in lengths() {
                    let mut publish =
                        rumqttc::Publish::new(topic, super::to_v4(qos), vec![0u8; len]);
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
        let content_type = crate::CONTENT_TYPE;
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
                        super::to_v5(qos),
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
    fn qos_round_trips() {
        for qos in QOS {
            assert_eq!(super::from_v4(super::to_v4(qos)), qos);
            assert_eq!(super::from_v5(super::to_v5(qos)), qos);
        }
    }
}
