//! The key update (spec/key-management.md §4.2): a member's complete key state, as CBOR.

use ciborium::Value;
use payseal::{ContentAlg, GroupEpochs, Kid};
use zeroize::Zeroizing;

use crate::error::KeysError;

/// What the controller sends a member: every group it belongs to, with every epoch it holds.
#[derive(Clone, Debug)]
pub struct KeyUpdate {
    /// The addressee's kid.
    pub member: Kid,
    /// Strictly increasing per member.
    pub number: u64,
    /// The member's groups, complete.
    pub groups: Vec<GroupEpochs>,
}

impl KeyUpdate {
    /// The CBOR encoding (deterministic: integer labels ascending, definite lengths), in a
    /// buffer wiped on drop since it holds group secrets.
    ///
    /// # Errors
    /// [`KeysError::Malformed`] if encoding fails (it does not for valid values).
    pub fn to_cbor(&self) -> Result<Zeroizing<Vec<u8>>, KeysError> {
        let groups = self.groups.iter().map(group_to_value).collect();
        let value = Value::Map(vec![
            (int(1), Value::Bytes(self.member.as_bytes().to_vec())),
            (int(2), Value::from(self.number)),
            (int(3), Value::Array(groups)),
        ]);
        let mut out = Zeroizing::new(Vec::new());
        ciborium::into_writer(&value, &mut *out).map_err(|_| KeysError::Malformed("encode"))?;
        // The Value tree holds secrets too.
        wipe(value);
        Ok(out)
    }

    /// Parses and checks an update (spec/key-management.md §4.2 step 2).
    ///
    /// # Errors
    /// [`KeysError::Malformed`] naming the first problem.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, KeysError> {
        let mut rest = bytes;
        let value: Value =
            ciborium::from_reader(&mut rest).map_err(|_| KeysError::Malformed("not CBOR"))?;
        let result = if rest.is_empty() {
            parse(&value)
        } else {
            Err(KeysError::Malformed("trailing bytes"))
        };
        wipe(value);
        result
    }
}

fn parse(value: &Value) -> Result<KeyUpdate, KeysError> {
    let map = exact_map(value, 3, "update must be a map of labels 1, 2, 3")?;
    let member = Kid::new(bytes(field(map, 1)?, "member must be a bstr")?.to_vec())
        .map_err(|_| KeysError::Malformed("member is not a kid"))?;
    let number = uint(field(map, 2)?, "update number must be a uint")?;
    let Value::Array(groups) = field(map, 3)? else {
        return Err(KeysError::Malformed("groups must be an array"));
    };
    let groups = groups
        .iter()
        .map(parse_group)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeyUpdate {
        member,
        number,
        groups,
    })
}

pub(crate) fn parse_group(value: &Value) -> Result<GroupEpochs, KeysError> {
    let map = exact_map(value, 4, "group must be a map of labels 1 to 4")?;
    let id = bytes(field(map, 1)?, "group id must be a bstr")?;
    let alg = match uint(field(map, 2)?, "alg must be a uint")? {
        1 => ContentAlg::A128Gcm,
        3 => ContentAlg::A256Gcm,
        _ => return Err(KeysError::Malformed("alg must be 1 or 3")),
    };
    let current = epoch(field(map, 3)?)?;
    let Value::Array(entries) = field(map, 4)? else {
        return Err(KeysError::Malformed("epochs must be an array"));
    };
    let mut parsed = Vec::with_capacity(entries.len());
    for entry in entries {
        let Value::Array(parts) = entry else {
            return Err(KeysError::Malformed("an epoch must be an array"));
        };
        let [e, secret, until] = parts.as_slice() else {
            return Err(KeysError::Malformed("an epoch must have 3 elements"));
        };
        let until = match until {
            Value::Null => None,
            other => Some(uint(other, "accept_until must be a uint or null")?),
        };
        parsed.push((epoch(e)?, bytes(secret, "secret must be a bstr")?, until));
    }
    if !parsed.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)) {
        return Err(KeysError::Malformed("epochs must be ascending"));
    }
    let Some((_, current_secret, None)) = parsed.iter().find(|(e, ..)| *e == current) else {
        return Err(KeysError::Malformed(
            "the current epoch must be listed, without accept_until",
        ));
    };
    let bad = |_| KeysError::Malformed("bad group id, or a secret of the wrong length");
    let mut group = GroupEpochs::new(id, current, alg, current_secret).map_err(bad)?;
    for (e, secret, until) in &parsed {
        match (e.cmp(&current), until) {
            (core::cmp::Ordering::Less, Some(until)) => {
                group.add_previous(*e, secret, *until).map_err(bad)?;
            }
            (core::cmp::Ordering::Greater, None) => {
                group.add_next(*e, secret).map_err(bad)?;
            }
            (core::cmp::Ordering::Equal, _) => {}
            _ => {
                return Err(KeysError::Malformed(
                    "past epochs need accept_until, future ones must not have it",
                ));
            }
        }
    }
    Ok(group)
}

pub(crate) fn group_to_value(group: &GroupEpochs) -> Value {
    let epochs = group
        .epochs()
        .map(|(e, key, until)| {
            Value::Array(vec![
                Value::from(e),
                Value::Bytes(key.expose_secret().to_vec()),
                until.map_or(Value::Null, Value::from),
            ])
        })
        .collect();
    Value::Map(vec![
        (int(1), Value::Bytes(group.group().to_vec())),
        (int(2), Value::from(group.alg().cose_id())),
        (int(3), Value::from(group.current_epoch())),
        (int(4), Value::Array(epochs)),
    ])
}

fn int(label: u8) -> Value {
    Value::from(label)
}

fn exact_map<'a>(
    value: &'a Value,
    len: usize,
    what: &'static str,
) -> Result<&'a [(Value, Value)], KeysError> {
    match value {
        Value::Map(entries) if entries.len() == len => Ok(entries),
        _ => Err(KeysError::Malformed(what)),
    }
}

fn field(map: &[(Value, Value)], label: u8) -> Result<&Value, KeysError> {
    map.iter()
        .find(|(k, _)| k.as_integer() == Some(label.into()))
        .map(|(_, v)| v)
        .ok_or(KeysError::Malformed("a label is missing or unknown"))
}

fn bytes<'a>(value: &'a Value, what: &'static str) -> Result<&'a [u8], KeysError> {
    value
        .as_bytes()
        .map(Vec::as_slice)
        .ok_or(KeysError::Malformed(what))
}

fn uint(value: &Value, what: &'static str) -> Result<u64, KeysError> {
    value
        .as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .ok_or(KeysError::Malformed(what))
}

fn epoch(value: &Value) -> Result<u32, KeysError> {
    u32::try_from(uint(value, "epoch must be a uint")?)
        .map_err(|_| KeysError::Malformed("epoch must fit 32 bits"))
}

/// Overwrites every byte string of a decoded or encoded tree (they may be secrets).
pub(crate) fn wipe(value: Value) {
    match value {
        Value::Bytes(b) => drop(Zeroizing::new(b)),
        Value::Array(items) => items.into_iter().for_each(wipe),
        Value::Map(entries) => entries.into_iter().for_each(|(k, v)| {
            wipe(k);
            wipe(v);
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn update() -> KeyUpdate {
        let mut g = GroupEpochs::new(b"plant", 1, ContentAlg::A128Gcm, &[1; 16]).unwrap();
        g.add_next(2, &[2; 16]).unwrap();
        g.switch_to(2, 100, 60).unwrap();
        g.add_next(3, &[3; 16]).unwrap();
        KeyUpdate {
            member: Kid::new(b"m1".to_vec()).unwrap(),
            number: 9,
            groups: vec![g],
        }
    }

    #[test]
    fn round_trip() {
        let bytes = update().to_cbor().unwrap();
        let back = KeyUpdate::from_cbor(&bytes).unwrap();
        assert_eq!(back.number, 9);
        let g = &back.groups[0];
        let held: Vec<_> = g.epochs().map(|(e, _, u)| (e, u)).collect();
        assert_eq!(held, vec![(1, Some(160)), (2, None), (3, None)]);
        assert_eq!(g.key(3).unwrap().expose_secret(), &[3; 16]);
        assert_eq!(*back.to_cbor().unwrap(), *bytes);
    }

    #[test]
    fn malformed_updates_are_refused() {
        for bad in [&b""[..], b"\xa0", b"\xa3\x01\x41m\x02\x01\x03\x80\x00"] {
            assert!(matches!(
                KeyUpdate::from_cbor(bad),
                Err(KeysError::Malformed(_))
            ));
        }
        // a past epoch without accept_until
        let mut value: Value = ciborium::from_reader(&update().to_cbor().unwrap()[..]).unwrap();
        if let Value::Map(m) = &mut value
            && let Value::Array(groups) = &mut m[2].1
            && let Value::Map(g) = &mut groups[0]
            && let Value::Array(epochs) = &mut g[3].1
            && let Value::Array(first) = &mut epochs[0]
        {
            first[2] = Value::Null;
        }
        let mut bytes = Vec::new();
        ciborium::into_writer(&value, &mut bytes).unwrap();
        assert!(matches!(
            KeyUpdate::from_cbor(&bytes),
            Err(KeysError::Malformed(_))
        ));
    }
}
