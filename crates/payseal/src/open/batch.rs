//! Opening in batches, split in three stages so that a pipeline can spread them: the checks
//! before the signature (the opener's, cheap), signature verification (no opener needed, on
//! any thread: the expensive part) and the commit (freshness, decryption and every replay
//! window of the batch through one call of the replay store, in order).

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::{Checked, ExpectedKey, Opener, Staged, Verified};
use crate::clock::Clock;
use crate::error::Rejection;
use crate::keys::{Kid, VerifyingKey};
use crate::kind::MessageKind;
use crate::policy::Freshness;
use crate::replay::ReplayStore;
use crate::sender::SenderResolver;

/// Envelopes that passed every check before the signature (spec §5 steps 1-7) with their
/// signatures still to verify: what [`Opener::check_batch`] returns and
/// [`Opener::commit_batch`] takes.
///
/// It owns everything verification needs (keys, signed bytes), so
/// [`verify_signatures`](Self::verify_signatures), the expensive stage, can run on any thread
/// while the opener checks or commits other batches. Commit a batch to the opener that
/// checked it: the keys in it are that opener's senders. A batch whose signatures were not
/// verified yet is verified by the commit; there is no way to skip the check.
pub struct CheckedBatch {
    items: Vec<Item>,
    verified: bool,
}

struct Item {
    topic: String,
    checked: Result<Checked, Rejection>,
    signature_ok: bool,
}

// Keys (MAC keys are secrets) and payloads stay out of logs: only the shape is shown.
impl core::fmt::Debug for CheckedBatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CheckedBatch")
            .field("len", &self.items.len())
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

impl CheckedBatch {
    /// How many envelopes the batch holds (rejected ones included).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the batch holds no envelope.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Spec §5 step 8 for the whole batch: Ed25519 signatures together with
    /// `ed25519_dalek::verify_batch` (one multiscalar multiplication, with 128-bit
    /// coefficients derived from a transcript of the whole batch) when there are at least two,
    /// each on its own if that fails, to find the bad ones; other algorithms and MAC tags one
    /// by one. Envelopes that failed an earlier check are not looked at. Verifying twice does
    /// nothing more.
    pub fn verify_signatures(&mut self) {
        if self.verified {
            return;
        }
        let batch_ok = ed25519_batch_verifies(&self.items);
        for item in &mut self.items {
            item.signature_ok = match &item.checked {
                Err(_) => false,
                Ok(c) if batch_ok && is_ed25519(c) => true,
                Ok(c) => c.stamp_verifies(),
            };
        }
        self.verified = true;
    }
}

impl<R: ReplayStore, C: Clock, S: SenderResolver> Opener<R, C, S> {
    /// Opens many envelopes at once, verifying their Ed25519 signatures in one batch: the
    /// same results, in the same order, as calling [`open`](Self::open) on each in turn.
    ///
    /// It is [`check_batch`](Self::check_batch), then [`commit_batch`](Self::commit_batch)
    /// with the policy's freshness bounds. The Ed25519 signatures of the envelopes that pass
    /// the checks before the signature (spec §5 steps 1-7) are verified together (see
    /// [`CheckedBatch::verify_signatures`]). Then freshness and decryption run as in `open`,
    /// and the replay windows of the envelopes that passed everything are checked and recorded
    /// through one [`ReplayStore::check_and_record_batch_for`] call, in order: a replay
    /// window is only ever updated for envelopes that passed every earlier check, and the
    /// second copy of an envelope appearing twice in one batch is `Replayed`.
    ///
    /// The one difference from `open` (spec §5.4): the batch equation does not see a
    /// small-order component added to a signature's `R`, so it can accept such a re-encoding
    /// of a genuine signature where `open`'s strict check rejects it. The re-encoded envelope
    /// carries exactly the header, payload, topic and sequence number that the sender signed,
    /// and the replay window admits only one of the two copies; no one without the key can
    /// make it accept anything the sender did not sign.
    ///
    /// Worth it for batches of a few envelopes or more: see BENCHMARKS.md.
    ///
    /// ```
    /// use payseal::{Algorithm, Counter, ManualClock, Opener, Policy, Rejection, Sealer,
    ///               SigningKey, TrustStore};
    /// let clock = ManualClock::new(1_700_000_000);
    /// let key = SigningKey::generate(Algorithm::Ed25519)?;
    /// let mut trust = TrustStore::new();
    /// trust.add_sender(key.verifying_key(), ["plant/#"])?;
    /// let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock);
    /// let mut opener = Opener::new(trust, Policy::default(), &clock);
    ///
    /// let a = sealer.seal("plant/1", b"a")?;
    /// let b = sealer.seal("plant/2", b"b")?;
    /// let results = opener.open_batch(&[("plant/1", &a), ("plant/2", &b), ("plant/1", &a)]);
    /// assert_eq!(results[0].as_ref().map(|v| v.payload()), Ok(&b"a"[..]));
    /// assert_eq!(results[1].as_ref().map(|v| v.payload()), Ok(&b"b"[..]));
    /// assert_eq!(results[2], Err(Rejection::Replayed { seq: 1 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_batch(&mut self, items: &[(&str, &[u8])]) -> Vec<Result<Verified, Rejection>> {
        let batch = self.check_batch(items);
        self.commit_batch(batch, |_, _, _, live| live)
    }

    /// The first stage of a batch (spec §5 steps 1-7 and "encryption required"): size,
    /// structure, sender, algorithm and topic rights of each envelope. Cheap, and changes no
    /// replay window. Verify the result's signatures anywhere
    /// ([`CheckedBatch::verify_signatures`]), then [`commit_batch`](Self::commit_batch) it.
    ///
    /// ```
    /// use payseal::{Algorithm, Counter, ManualClock, Opener, Policy, Rejection, Sealer,
    ///               SigningKey, TrustStore};
    /// let clock = ManualClock::new(1_700_000_000);
    /// let key = SigningKey::generate(Algorithm::Ed25519)?;
    /// let mut trust = TrustStore::new();
    /// trust.add_sender(key.verifying_key(), ["plant/#"])?;
    /// let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock);
    /// let mut opener = Opener::new(trust, Policy::default(), &clock);
    ///
    /// let a = sealer.seal("plant/1", b"a")?;
    /// let mut batch = opener.check_batch(&[("plant/1", &a), ("plant/1", &a)]);
    /// // The expensive stage needs no opener: it may run on another thread.
    /// std::thread::scope(|s| s.spawn(|| batch.verify_signatures()).join()).unwrap();
    /// let results = opener.commit_batch(batch, |_, _, _, live| live);
    /// assert_eq!(results[0].as_ref().map(|v| v.payload()), Ok(&b"a"[..]));
    /// assert_eq!(results[1], Err(Rejection::Replayed { seq: 1 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_batch(&mut self, items: &[(&str, &[u8])]) -> CheckedBatch {
        let items = items
            .iter()
            .map(|(topic, envelope)| Item {
                topic: String::from(*topic),
                checked: self.check_until_signature(topic, envelope),
                signature_ok: false,
            })
            .collect();
        CheckedBatch {
            items,
            verified: false,
        }
    }

    /// The last stage of a batch: verifies its signatures if that was not done yet, then
    /// freshness (with the bounds `bounds` chooses from the index of the envelope in the
    /// batch, its **signed** kind, its verified sender and the policy's bounds, as in
    /// [`open_by_kind`](Self::open_by_kind)) and decryption, then checks and records the
    /// replay windows of every envelope that passed, in order, with one
    /// [`ReplayStore::check_and_record_batch_for`] call (one group commit for a file store,
    /// one pipeline for a shared store).
    ///
    /// The results, in the batch's order, are those of calling `open_by_kind` on each
    /// envelope in turn, with one exception: a store failure is judged for the batch as a
    /// whole, as the store reports it (a failed group commit refuses every envelope it would
    /// have accepted as [`Rejection::StoreUnavailable`]; nothing is accepted unrecorded).
    pub fn commit_batch(
        &mut self,
        mut batch: CheckedBatch,
        mut bounds: impl FnMut(usize, MessageKind, &Kid, Freshness) -> Freshness,
    ) -> Vec<Result<Verified, Rejection>> {
        batch.verify_signatures();
        let live = self.policy.freshness();
        let staged: Vec<Result<Staged, Rejection>> = batch
            .items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let checked = item.checked?;
                if !item.signature_ok {
                    return Err(Rejection::BadSignature);
                }
                let freshness = bounds(i, checked.env.kind(), &checked.kid, live);
                self.stage(&item.topic, checked, freshness)
            })
            .collect();
        let windows: Vec<(&Kid, u64, Duration)> = staged
            .iter()
            .flatten()
            .map(|s| (&s.window, s.verified.seq, s.remember_for))
            .collect();
        let mut recorded = self.replay.check_and_record_batch_for(&windows).into_iter();
        staged
            .into_iter()
            .map(|staged| {
                let staged = staged?;
                // A store that answers fewer results than asked has judged nothing more.
                let seq = staged.verified.seq;
                recorded
                    .next()
                    .unwrap_or(Err(Rejection::StoreUnavailable { seq }))?;
                Ok(staged.verified)
            })
            .collect()
    }
}

/// Whether every Ed25519 signature of the batch verifies in one batch equation (false with
/// fewer than two: one is verified on its own, more cheaply).
fn ed25519_batch_verifies(items: &[Item]) -> bool {
    let mut messages: Vec<&[u8]> = Vec::new();
    let mut signatures = Vec::new();
    let mut keys = Vec::new();
    for c in items.iter().filter_map(|item| item.checked.as_ref().ok()) {
        if let (ExpectedKey::Signature(VerifyingKey::Ed25519(key)), Some(signature)) =
            (&c.key, c.env.signature())
        {
            messages.push(&c.tbs);
            signatures.push(ed25519_dalek::Signature::from_bytes(&signature.to_bytes()));
            keys.push(*key);
        }
    }
    messages.len() >= 2 && ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

fn is_ed25519(c: &Checked) -> bool {
    matches!(
        (&c.key, c.env.signature()),
        (ExpectedKey::Signature(VerifyingKey::Ed25519(_)), Some(_))
    )
}
