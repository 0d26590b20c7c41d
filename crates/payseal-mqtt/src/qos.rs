//! MQTT quality of service, as both adapters take and report it.

/// MQTT quality of service (MQTT 3.1.1 §4.3, MQTT 5 §4.3). The discriminants are the wire
/// values, so `qos as u8` gives 0, 1 or 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum QoS {
    /// At most once: no acknowledgement, may be lost.
    AtMostOnce = 0,
    /// At least once: acknowledged, may arrive more than once (the adapter reports repeats
    /// as [`Event::Duplicate`](crate::Event::Duplicate)).
    AtLeastOnce = 1,
    /// Exactly once, between one client and the broker.
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS of a wire value 0, 1 or 2; `None` for anything else.
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            assert_eq!(QoS::from_u8(qos as u8), Some(qos));
        }
        assert_eq!(QoS::from_u8(3), None);
    }
}
