//! Classifying PUBLISHes a batch at a time, in the three stages of
//! [`payseal::Opener::check_batch`]: the checks before the signature under the security
//! lock, the signatures outside it (on any thread), then freshness, decryption and the replay
//! windows of the whole batch under the lock again.

use std::time::{Duration, Instant};

use payseal::{CheckedBatch, Rejection};

use super::ClientState;
use crate::QoS;
use crate::event::{Event, classify, to_event};

/// One incoming PUBLISH: the topic as the bytes on the wire, the payload, the retain flag and
/// the QoS.
pub type Incoming<'a> = (&'a [u8], &'a [u8], bool, QoS);

/// A batch of PUBLISHes past the checks before the signature
/// ([`ClientState::check_batch`]); verify its signatures anywhere
/// ([`verify_signatures`](Self::verify_signatures)), then commit it with
/// [`ClientState::commit_batch`] and the same items.
#[derive(Debug)]
pub struct PreparedBatch {
    slots: Vec<Slot>,
    checked: Option<CheckedBatch>,
    /// Time spent opening so far (checks and signatures), for the verification histogram.
    spent: Duration,
}

#[derive(Debug)]
enum Slot {
    /// Refused before opening (not subscribed, topic not UTF-8).
    Decided(Event),
    /// In the checked batch.
    Checked,
    /// Opened on its own at commit (the opener cannot split batches).
    Single,
}

impl PreparedBatch {
    /// Verifies the batch's signatures (the expensive stage; needs no lock).
    pub fn verify_signatures(&mut self) {
        if let Some(checked) = self.checked.as_mut() {
            let started = Instant::now();
            checked.verify_signatures();
            self.spent += started.elapsed();
        }
    }
}

impl ClientState {
    /// The first stage for a batch of incoming PUBLISHes: topics that match no subscription
    /// are refused ([`Rejection::NotSubscribed`]) and topics that are not UTF-8 too
    /// ([`Rejection::InvalidTopic`]), without opening; the rest go through the opener's checks
    /// before the signature. `None` only if a thread panicked holding the security settings.
    pub fn check_batch(&self, items: &[Incoming<'_>]) -> Option<PreparedBatch> {
        let mut slots = Vec::with_capacity(items.len());
        let mut open: Vec<(&str, &[u8])> = Vec::with_capacity(items.len());
        for &(topic, payload, _, _) in items {
            let slot = match std::str::from_utf8(topic) {
                Err(_) => Slot::Decided(Event::Rejected {
                    topic: crate::escape_bytes(topic),
                    reason: Rejection::InvalidTopic,
                }),
                Ok(topic) if !self.subscriptions.matches(topic) => Slot::Decided(Event::Rejected {
                    topic: topic.to_string(),
                    reason: Rejection::NotSubscribed,
                }),
                Ok(topic) => {
                    open.push((topic, payload));
                    Slot::Checked
                }
            };
            slots.push(slot);
        }
        let started = Instant::now();
        let checked = {
            let mut security = self.security.lock().ok()?;
            match security.opener.as_mut() {
                Some(opener) if !open.is_empty() => opener.check_batch(&open),
                _ => None,
            }
        };
        if checked.is_none() {
            for slot in &mut slots {
                if matches!(slot, Slot::Checked) {
                    *slot = Slot::Single;
                }
            }
        }
        Some(PreparedBatch {
            slots,
            checked,
            spent: started.elapsed(),
        })
    }

    /// The last stage: freshness (with the retained and will limits, as
    /// [`classify`](Self::classify)), decryption and the replay windows of the whole batch,
    /// in order; one event per item, in order. `items` must be those given to
    /// [`check_batch`](Self::check_batch). `None` only if a thread panicked holding the
    /// security settings.
    ///
    /// Every event is counted ([`crate::metrics`], each opened message with its share of the
    /// batch's opening time) and every refusal goes to the [`crate::RejectionHook`], after the
    /// security lock is released, as [`classify`](Self::classify) does.
    pub fn commit_batch(
        &self,
        prepared: PreparedBatch,
        items: &[Incoming<'_>],
    ) -> Option<Vec<Event>> {
        let PreparedBatch {
            slots,
            checked,
            spent,
        } = prepared;
        let started = Instant::now();
        let opened_count = slots
            .iter()
            .filter(|s| !matches!(s, Slot::Decided(_)))
            .count();
        let decided: Vec<bool> = slots
            .iter()
            .map(|s| matches!(s, Slot::Decided(_)))
            .collect();
        // The checked items, by their index in the checked batch.
        let in_batch: Vec<(&str, bool, QoS)> = slots
            .iter()
            .zip(items)
            .filter(|(slot, _)| matches!(slot, Slot::Checked))
            .map(|(_, &(topic, _, retain, qos))| {
                (std::str::from_utf8(topic).unwrap_or_default(), retain, qos)
            })
            .collect();
        let mut guard = self.security.lock().ok()?;
        let security: &mut crate::Security = &mut guard;
        let mut opened = match checked {
            Some(checked) => {
                let rules = &security.rules;
                let mut bounds = |i: usize, kind, sender: &payseal::Kid, live| match in_batch.get(i)
                {
                    Some(&(topic, retain, _)) => rules.bounds(topic, retain, kind, sender, live),
                    None => live,
                };
                match security.opener.as_mut() {
                    Some(opener) => opener.commit_batch(checked, &mut bounds),
                    None => vec![Err(Rejection::UnknownSender); checked.len()],
                }
            }
            None => Vec::new(),
        }
        .into_iter()
        .zip(in_batch.iter());
        let events = slots
            .into_iter()
            .zip(items)
            .map(|(slot, &(topic, payload, retain, qos))| match slot {
                Slot::Decided(event) => event,
                Slot::Checked => match opened.next() {
                    Some((result, &(topic, retain, qos))) => to_event(result, topic, retain, qos),
                    None => Event::Rejected {
                        topic: crate::escape_bytes(topic),
                        reason: Rejection::UnknownSender,
                    },
                },
                Slot::Single => {
                    let topic = std::str::from_utf8(topic).unwrap_or_default();
                    classify(security, topic, payload, retain, qos)
                }
            })
            .collect::<Vec<_>>();
        drop(guard);
        let share =
            (spent + started.elapsed()) / u32::try_from(opened_count.max(1)).unwrap_or(u32::MAX);
        Some(
            events
                .into_iter()
                .zip(items)
                .zip(decided)
                .map(|((event, &(_, payload, _, _)), decided)| {
                    self.judged(event, payload, (!decided).then_some(share))
                })
                .collect(),
        )
    }
}
