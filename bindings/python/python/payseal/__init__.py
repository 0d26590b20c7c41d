"""payseal: end-to-end payload security for MQTT, built on the Rust core.

Every envelope is signed by its sender, bound to its MQTT topic, numbered and timestamped;
a receiver accepts it only from a sender it trusts, on a topic that sender may publish on,
once. See the project README and spec/envelope.md.

>>> import payseal
>>> key = payseal.SigningKey.generate("ed25519")
>>> trust = payseal.TrustStore()
>>> trust.add_sender(key.public_key(), ["plant/+/temp"])
>>> envelope = payseal.Sealer(key).seal("plant/3/temp", b"21.5")
>>> payseal.Opener(trust).open("plant/3/temp", envelope).payload
b'21.5'
"""

from payseal._payseal import (
    PROFILE,
    REASON_CODES,
    ConfigError,
    GroupEpochs,
    GroupKey,
    InvalidKey,
    ManualClock,
    Opener,
    PaysealError,
    Policy,
    Receiver,
    RecipientKey,
    RecipientPublicKey,
    Rejected,
    SealError,
    Sealer,
    SigningKey,
    StoreError,
    TrustStore,
    Verified,
    VerifyingKey,
)

__all__ = [
    "PROFILE",
    "REASON_CODES",
    "ConfigError",
    "GroupEpochs",
    "GroupKey",
    "InvalidKey",
    "ManualClock",
    "Opener",
    "PaysealError",
    "Policy",
    "Receiver",
    "RecipientKey",
    "RecipientPublicKey",
    "Rejected",
    "SealError",
    "Sealer",
    "SigningKey",
    "StoreError",
    "TrustStore",
    "Verified",
    "VerifyingKey",
]
