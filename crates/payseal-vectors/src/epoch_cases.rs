//! `test-vectors/epochs.json` (spec/key-management.md §6): every case of the group epoch rule
//! (§2.2) and of sender key validity windows (§3).

use payseal::{Audience, ContentAlg, Counter, GroupKey, ManualClock, Sealer, epoch_kid};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

use crate::cases::T0;
use crate::keys::{entry, key};
use crate::model::PolicyEntry;

type EpochFile = payseal_vector_model::epochs::EpochFile<&'static str>;
type TrustEntry = payseal_vector_model::epochs::ValidityTrustEntry<&'static str>;
type GroupState = payseal_vector_model::epochs::GroupState<&'static str>;
type EpochEntry = payseal_vector_model::epochs::EpochEntry;
type EpochVector = payseal_vector_model::epochs::EpochVector<&'static str>;

const TOPIC: &str = "secure/plant/reading";
const PLAINTEXT: &[u8] = b"{\"t\":21.5}";
const GROUP: &[u8] = b"plant";
/// The receiver switched from epoch 1 to 2 at T0 with this grace, and holds 3 ahead.
const GRACE: u64 = 60;

fn secret(group: &[u8], epoch: u32) -> Vec<u8> {
    let name = format!(
        "payseal test epoch {} {epoch}",
        String::from_utf8_lossy(group)
    );
    Sha256::digest(name.as_bytes())[..16].to_vec()
}

fn epoch_key(group: &[u8], epoch: u32) -> GroupKey {
    GroupKey::new(
        epoch_kid(group, epoch).expect("short group id"),
        ContentAlg::A128Gcm,
        &secret(group, epoch),
    )
    .expect("valid group key")
}

struct V {
    id: &'static str,
    description: &'static str,
    signer: &'static str,
    now: u64,
    group: &'static [u8],
    epoch: Option<u32>,
    /// Seal under this key instead of the epoch's own (a relabelled layer).
    key: Option<GroupKey>,
    expected: &'static str,
}

fn v(id: &'static str, description: &'static str, expected: &'static str) -> V {
    V {
        id,
        description,
        signer: "ed25519-a",
        now: T0 + 10,
        group: GROUP,
        epoch: None,
        key: None,
        expected,
    }
}

impl V {
    fn epoch(mut self, epoch: u32) -> Self {
        self.epoch = Some(epoch);
        self
    }
    fn at(mut self, now: u64) -> Self {
        self.now = now;
        self
    }
    fn signer(mut self, signer: &'static str) -> Self {
        self.signer = signer;
        self
    }

    fn build(self, seq: u64) -> EpochVector {
        // Sealed 5 s before the receiver's clock: always fresh, so only the key rule decides.
        let timestamp = self.now - 5;
        let clock = ManualClock::new(timestamp);
        let mut sealer = Sealer::new(key(self.signer), Counter::starting_at(seq), &clock);
        if let Some(epoch) = self.epoch {
            let group_key = self.key.unwrap_or_else(|| epoch_key(self.group, epoch));
            sealer = sealer
                .with_audience("#", Audience::group(group_key))
                .expect("valid filter");
        }
        let seed: [u8; 32] = Sha256::digest(self.id.as_bytes()).into();
        let mut rng = ChaCha20Rng::from_seed(seed);
        let envelope = sealer
            .seal_with_rng(TOPIC, PLAINTEXT, &mut rng)
            .expect("seals");
        EpochVector {
            id: self.id,
            description: self.description,
            signer: self.signer,
            topic: TOPIC,
            plaintext: hex::encode(PLAINTEXT),
            seq,
            timestamp,
            envelope: hex::encode(envelope),
            now: self.now,
            epoch: self.epoch,
            group: (self.group != GROUP).then(|| hex::encode(self.group)),
            expected: self.expected,
        }
    }
}

fn vectors() -> Vec<EpochVector> {
    let relabelled = GroupKey::new(
        epoch_kid(GROUP, 2).expect("short"),
        ContentAlg::A128Gcm,
        &secret(GROUP, 3),
    )
    .expect("valid");
    let mut relabel = v(
        "epoch-relabelled",
        "the kid names epoch 2, the layer is sealed under epoch 3's secret",
        "decrypt_failed",
    )
    .epoch(2);
    relabel.key = Some(relabelled);
    let mut other = v(
        "epoch-unknown-group",
        "an epoch of a group the receiver does not hold (same kid length)",
        "not_for_me",
    )
    .epoch(2);
    other.group = b"plans";
    [
        v("epoch-current", "the current epoch", "valid").epoch(2),
        v(
            "epoch-previous-within-grace",
            "the previous epoch at the last second of its grace period (inclusive)",
            "valid",
        )
        .epoch(1)
        .at(T0 + GRACE),
        v(
            "epoch-previous-after-grace",
            "the previous epoch one second after its grace period",
            "key_expired",
        )
        .epoch(1)
        .at(T0 + GRACE + 1),
        v(
            "epoch-next-handed-ahead",
            "a future epoch handed to the receiver ahead of the switch",
            "valid",
        )
        .epoch(3),
        v(
            "epoch-future-not-held",
            "a future epoch not handed to this receiver (not yet caught up, or removed)",
            "not_for_me",
        )
        .epoch(4),
        v(
            "epoch-dropped",
            "an epoch older than any the receiver holds",
            "key_expired",
        )
        .epoch(0),
        other,
        relabel,
        v(
            "key-old-within-overlap",
            "a rollover's old sender key at the last second of its window",
            "valid",
        )
        .signer("ed25519-b")
        .at(T0 + 100),
        v(
            "key-old-after-overlap",
            "a rollover's old sender key one second after not_after",
            "key_expired",
        )
        .signer("ed25519-b")
        .at(T0 + 101),
        v(
            "key-new-before-switch",
            "a rollover's new sender key one second before not_before",
            "key_not_yet_valid",
        )
        .signer("p256-a")
        .at(T0 + 49),
        v(
            "key-new-at-switch",
            "a rollover's new sender key at not_before",
            "valid",
        )
        .signer("p256-a")
        .at(T0 + 50),
        v(
            "key-expired-group-message",
            "the sender key's window is checked before any decryption",
            "key_expired",
        )
        .signer("ed25519-b")
        .epoch(2)
        .at(T0 + 101),
    ]
    .into_iter()
    .zip(1..)
    .map(|(v, seq)| v.build(seq))
    .collect()
}

pub(crate) fn build() -> EpochFile {
    let epoch = |e: u32, accept_until: Option<u64>| EpochEntry {
        epoch: e,
        secret: hex::encode(secret(GROUP, e)),
        accept_until,
    };
    let trust = |key, not_before, not_after| TrustEntry {
        key,
        topics: vec!["secure/#"],
        not_before,
        not_after,
    };
    EpochFile {
        profile: payseal::PROFILE,
        source: "generated by `cargo run -p payseal-vectors` (deterministic, seeded RNG); see spec/key-management.md §6",
        keys: ["ed25519-a", "ed25519-b", "p256-a"]
            .into_iter()
            .map(|n| (n, entry(n)))
            .collect(),
        trust: vec![
            trust("ed25519-a", None, None),
            trust("ed25519-b", None, Some(T0 + 100)),
            trust("p256-a", Some(T0 + 50), None),
        ],
        policy: PolicyEntry {
            max_age: 300,
            max_future_skew: 30,
            window: 64,
            max_envelope_bytes: 4096,
        },
        groups: vec![GroupState {
            group: hex::encode(GROUP),
            alg: "A128GCM",
            current: 2,
            epochs: vec![epoch(1, Some(T0 + GRACE)), epoch(2, None), epoch(3, None)],
        }],
        vectors: vectors(),
    }
}
