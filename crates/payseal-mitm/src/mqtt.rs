//! Just enough MQTT 3.1.1 framing (§2.2) for a man in the middle: split a byte stream into
//! packets, and read or rebuild PUBLISH packets.

/// One MQTT control packet, as raw bytes (fixed header included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame(pub Vec<u8>);

impl Frame {
    /// The control packet type (3 = PUBLISH, 4 = PUBACK, ...).
    pub fn packet_type(&self) -> u8 {
        self.0.first().map_or(0, |b| b >> 4)
    }
}

/// Takes one complete packet off the front of `buf`, if there is one.
pub fn take_frame(buf: &mut Vec<u8>) -> Option<Frame> {
    let mut len: usize = 0;
    let mut shift = 0;
    let mut at = 1;
    loop {
        let byte = *buf.get(at)?;
        len |= usize::from(byte & 0x7f) << shift;
        at += 1;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            // Malformed length: hand the rest over as one frame and let the peer complain.
            return Some(Frame(std::mem::take(buf)));
        }
    }
    let total = at + len;
    if buf.len() < total {
        return None;
    }
    let rest = buf.split_off(total);
    Some(Frame(std::mem::replace(buf, rest)))
}

/// A PUBLISH packet's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    /// DUP flag.
    pub dup: bool,
    /// QoS 0, 1 or 2.
    pub qos: u8,
    /// RETAIN flag.
    pub retain: bool,
    /// Topic name.
    pub topic: String,
    /// Packet identifier (QoS 1 and 2).
    pub pkid: Option<u16>,
    /// Application payload (a payseal envelope, for sealed traffic).
    pub payload: Vec<u8>,
}

impl Publish {
    /// Parses a PUBLISH frame; `None` for other packets or malformed ones.
    pub fn parse(frame: &Frame) -> Option<Self> {
        let bytes = &frame.0;
        let first = *bytes.first()?;
        if first >> 4 != 3 {
            return None;
        }
        let mut at = 1;
        while bytes.get(at)? & 0x80 != 0 {
            at += 1;
        }
        at += 1;
        let topic_len = usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
        at += 2;
        let topic = String::from_utf8(bytes.get(at..at + topic_len)?.to_vec()).ok()?;
        at += topic_len;
        let qos = (first >> 1) & 3;
        let pkid = if qos > 0 {
            let id = u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]);
            at += 2;
            Some(id)
        } else {
            None
        };
        Some(Publish {
            dup: first & 8 != 0,
            qos,
            retain: first & 1 != 0,
            topic,
            pkid,
            payload: bytes.get(at..)?.to_vec(),
        })
    }

    /// Encodes the packet.
    pub fn frame(&self) -> Frame {
        let mut body = Vec::with_capacity(self.topic.len() + self.payload.len() + 4);
        let topic_len = u16::try_from(self.topic.len()).unwrap_or(u16::MAX);
        body.extend_from_slice(&topic_len.to_be_bytes());
        body.extend_from_slice(self.topic.as_bytes());
        if self.qos > 0 {
            body.extend_from_slice(&self.pkid.unwrap_or(1).to_be_bytes());
        }
        body.extend_from_slice(&self.payload);
        let first =
            0x30 | (u8::from(self.dup) << 3) | ((self.qos & 3) << 1) | u8::from(self.retain);
        let mut out = vec![first];
        push_remaining_length(&mut out, body.len());
        out.extend_from_slice(&body);
        Frame(out)
    }
}

/// The packet identifier of a PUBACK frame.
pub fn puback_id(frame: &Frame) -> Option<u16> {
    if frame.packet_type() != 4 {
        return None;
    }
    Some(u16::from_be_bytes([*frame.0.get(2)?, *frame.0.get(3)?]))
}

/// The packet identifier of a PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK or UNSUBACK frame.
pub fn ack_id(frame: &Frame) -> Option<u16> {
    if !matches!(frame.packet_type(), 4..=7 | 9 | 11) {
        return None;
    }
    let mut at = 1;
    while frame.0.get(at)? & 0x80 != 0 {
        at += 1;
    }
    at += 1;
    Some(u16::from_be_bytes([
        *frame.0.get(at)?,
        *frame.0.get(at + 1)?,
    ]))
}

/// An MQTT 5 PUBACK (4), PUBREC (5) or PUBCOMP (7) for `pkid` with reason `code` and, if
/// given, a reason string property (any bytes a hostile broker likes, control characters
/// included).
pub fn v5_ack(packet_type: u8, pkid: u16, code: u8, reason: Option<&str>) -> Frame {
    let mut props = Vec::new();
    if let Some(reason) = reason {
        props.push(0x1F);
        let len = u16::try_from(reason.len()).unwrap_or(u16::MAX);
        props.extend_from_slice(&len.to_be_bytes());
        props.extend_from_slice(reason.as_bytes());
    }
    let mut body = pkid.to_be_bytes().to_vec();
    body.push(code);
    push_remaining_length(&mut body, props.len());
    body.extend_from_slice(&props);
    let mut out = vec![packet_type << 4];
    push_remaining_length(&mut out, body.len());
    out.extend_from_slice(&body);
    Frame(out)
}

/// An MQTT 5 PUBLISH (QoS 0, no properties) whose topic is `topic`, as raw bytes: may be
/// invalid UTF-8, as a hostile broker can send it.
pub fn v5_publish_raw_topic(topic: &[u8], payload: &[u8]) -> Frame {
    let mut body = Vec::new();
    let len = u16::try_from(topic.len()).unwrap_or(u16::MAX);
    body.extend_from_slice(&len.to_be_bytes());
    body.extend_from_slice(topic);
    body.push(0); // property length
    body.extend_from_slice(payload);
    let mut out = vec![0x30];
    push_remaining_length(&mut out, body.len());
    out.extend_from_slice(&body);
    Frame(out)
}

/// A SUBACK frame with its last reason code (the only one, for a single filter) replaced by
/// `code`; other frames unchanged.
pub fn refuse_suback(mut frame: Frame, code: u8) -> Frame {
    if frame.packet_type() == 9
        && let Some(last) = frame.0.last_mut()
    {
        *last = code;
    }
    frame
}

/// Appends `len` as an MQTT variable byte integer (the remaining length, MQTT 3.1.1 §2.2.3).
pub fn push_remaining_length(out: &mut Vec<u8>, mut len: usize) {
    loop {
        let mut byte = u8::try_from(len % 128).unwrap_or(0);
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
}

/// A QoS 0 PUBLISH frame with `topic` as raw bytes: also topics no honest broker sends (a NUL,
/// bytes that are not UTF-8).
///
/// ```
/// let frame = payseal_mitm::mqtt::raw_publish(b"a\xff", b"x");
/// assert_eq!(frame, [0x30, 5, 0, 2, b'a', 0xff, b'x']);
/// ```
///
/// # Panics
/// If `topic` is longer than 65,535 bytes.
#[allow(clippy::expect_used)]
pub fn raw_publish(topic: &[u8], payload: &[u8]) -> Vec<u8> {
    let topic_len = u16::try_from(topic.len()).expect("a topic of at most 65,535 bytes");
    let mut body = topic_len.to_be_bytes().to_vec();
    body.extend_from_slice(topic);
    body.extend_from_slice(payload);
    let mut frame = vec![0x30];
    push_remaining_length(&mut frame, body.len());
    frame.extend_from_slice(&body);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_round_trips_and_frames_split() {
        let p = Publish {
            dup: true,
            qos: 1,
            retain: false,
            topic: "a/b".into(),
            pkid: Some(7),
            payload: vec![1; 300],
        };
        let frame = p.frame();
        assert_eq!(Publish::parse(&frame), Some(p));
        let mut stream = [frame.0.clone(), vec![0x40, 2, 0, 7], vec![0x30]].concat();
        assert_eq!(take_frame(&mut stream), Some(frame));
        assert_eq!(puback_id(&take_frame(&mut stream).unwrap()), Some(7));
        assert_eq!(take_frame(&mut stream), None);
        assert_eq!(stream, vec![0x30]);
    }

    #[test]
    fn v5_acks_carry_the_code_and_reason() {
        let f = v5_ack(4, 0x0102, 0x87, Some("no"));
        assert_eq!(f.0, vec![0x40, 9, 1, 2, 0x87, 5, 0x1F, 0, 2, b'n', b'o']);
        assert_eq!(ack_id(&f), Some(0x0102));
        assert_eq!(
            refuse_suback(Frame(vec![0x90, 3, 0, 1, 0]), 0x80).0[4],
            0x80
        );
    }
}
