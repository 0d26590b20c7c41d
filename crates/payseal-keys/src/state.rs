//! The controller's persisted state (spec/key-management.md §4.5), as CBOR.

use std::collections::{BTreeMap, BTreeSet};

use ciborium::Value;
use payseal::{GroupEpochs, Kid, RecipientPublicKey};
use zeroize::Zeroizing;

use crate::error::KeysError;
use crate::update::{group_to_value, parse_group, wipe};

/// One group as the controller holds it.
#[derive(Clone, Debug)]
pub(crate) struct GroupRecord {
    pub(crate) epochs: GroupEpochs,
    pub(crate) members: BTreeSet<Kid>,
    /// A rotation under way: the next epoch (already handed out) and when to switch to it.
    pub(crate) pending: Option<(u32, u64)>,
    /// The highest epoch ever handed out (an abandoned pending one included): the next
    /// rotation goes above it, so an epoch number never names two secrets.
    pub(crate) highest_epoch: u32,
    /// When the current epoch became current.
    pub(crate) rotated_at: u64,
    /// Envelopes seen on the group's topics since then (not persisted: a restart only delays
    /// a count-based rotation).
    pub(crate) messages: u64,
}

/// Everything the controller must not forget.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    /// The last update number handed out (to any member).
    pub(crate) counter: u64,
    pub(crate) members: BTreeMap<Kid, RecipientPublicKey>,
    pub(crate) groups: BTreeMap<Vec<u8>, GroupRecord>,
}

impl State {
    pub(crate) fn to_cbor(&self) -> Result<Zeroizing<Vec<u8>>, KeysError> {
        let members = self
            .members
            .values()
            .map(|k| Value::Bytes(k.to_cose_key()))
            .collect();
        let groups = self
            .groups
            .values()
            .map(|g| {
                Value::Array(vec![
                    group_to_value(&g.epochs),
                    Value::Array(
                        g.members
                            .iter()
                            .map(|m| Value::Bytes(m.as_bytes().to_vec()))
                            .collect(),
                    ),
                    g.pending.map_or(Value::Null, |(e, at)| {
                        Value::Array(vec![Value::from(e), Value::from(at)])
                    }),
                    Value::from(g.rotated_at),
                    Value::from(g.highest_epoch),
                ])
            })
            .collect();
        let value = Value::Array(vec![
            Value::from(self.counter),
            Value::Array(members),
            Value::Array(groups),
        ]);
        let mut out = Zeroizing::new(Vec::new());
        ciborium::into_writer(&value, &mut *out).map_err(|_| KeysError::Malformed("encode"))?;
        wipe(value);
        Ok(out)
    }

    pub(crate) fn from_cbor(bytes: &[u8]) -> Result<Self, KeysError> {
        let value: Value = ciborium::from_reader(bytes)
            .map_err(|_| KeysError::Malformed("controller state is not CBOR"))?;
        let result = parse(&value);
        wipe(value);
        result
    }
}

fn bad(what: &'static str) -> KeysError {
    KeysError::Malformed(what)
}

fn parse(value: &Value) -> Result<State, KeysError> {
    let Value::Array(top) = value else {
        return Err(bad("state must be an array"));
    };
    let [counter, Value::Array(members), Value::Array(groups)] = top.as_slice() else {
        return Err(bad("state must be [counter, members, groups]"));
    };
    let counter = uint(counter)?;
    let members = members
        .iter()
        .map(|m| {
            let key = m
                .as_bytes()
                .and_then(|b| RecipientPublicKey::from_cose_key(b).ok())
                .ok_or(bad("a member key is not a COSE_Key"))?;
            Ok((key.kid(), key))
        })
        .collect::<Result<BTreeMap<_, _>, KeysError>>()?;
    let groups = groups
        .iter()
        .map(|g| {
            let Value::Array(parts) = g else {
                return Err(bad("a group must be an array"));
            };
            let [epochs, Value::Array(kids), pending, rotated_at, highest] = parts.as_slice()
            else {
                return Err(bad(
                    "a group must be [epochs, members, pending, rotated_at, highest epoch]",
                ));
            };
            let epochs = parse_group(epochs)?;
            let members = kids
                .iter()
                .map(|k| {
                    k.as_bytes()
                        .and_then(|b| Kid::new(b.clone()).ok())
                        .ok_or(bad("a member kid is invalid"))
                })
                .collect::<Result<BTreeSet<_>, _>>()?;
            let pending = match pending {
                Value::Null => None,
                Value::Array(p) => match p.as_slice() {
                    [e, at] => Some((
                        u32::try_from(uint(e)?).map_err(|_| bad("epoch too large"))?,
                        uint(at)?,
                    )),
                    _ => return Err(bad("pending must be [epoch, switch_at]")),
                },
                _ => return Err(bad("pending must be null or an array")),
            };
            let record = GroupRecord {
                epochs,
                members,
                pending,
                rotated_at: uint(rotated_at)?,
                highest_epoch: u32::try_from(uint(highest)?).map_err(|_| bad("epoch too large"))?,
                messages: 0,
            };
            Ok((record.epochs.group().to_vec(), record))
        })
        .collect::<Result<BTreeMap<_, _>, KeysError>>()?;
    Ok(State {
        counter,
        members,
        groups,
    })
}

fn uint(value: &Value) -> Result<u64, KeysError> {
    value
        .as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .ok_or(bad("expected a uint"))
}
