"""Type stubs for payseal (the native module payseal._payseal, re-exported)."""

from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Literal, Optional, Union

BytesLike = Union[bytes, bytearray, memoryview]
StrPath = Union[str, PathLike[str]]
Kind = Literal["live", "retained", "will"]

PROFILE: str
REASON_CODES: list[str]

class PaysealError(Exception):
    """Base class of every error payseal raises."""

class Rejected(PaysealError):
    """An envelope was refused."""

    code: str
    """The stable reason code of spec/envelope.md §6, e.g. "bad_signature"."""
    is_alarm: bool
    """Whether it points at tampering, forgery, replay or misconfiguration (not_for_me,
    store_unavailable and not_subscribed do not)."""
    is_retryable: bool
    """Whether it may be accepted if delivered again (store_unavailable)."""

class SealError(PaysealError):
    """An envelope could not be sealed."""

class InvalidKey(PaysealError):
    """A key could not be parsed, generated or used."""

class ConfigError(PaysealError):
    """A topic filter, policy value or trust file that cannot be used."""

class StoreError(PaysealError):
    """A durable store could not be opened or written."""

class ManualClock:
    """A clock set by hand (Unix seconds), shared by the sealers and openers given it."""

    def __init__(self, unix_secs: int) -> None: ...
    def set(self, unix_secs: int) -> None: ...
    def advance(self, secs: int) -> None: ...
    def now(self) -> Optional[int]: ...

class SigningKey:
    """A private signing key: "ed25519", "p256" or "k256"."""

    @staticmethod
    def generate(algorithm: str = "ed25519") -> SigningKey: ...
    @staticmethod
    def from_pem(pem: Union[str, BytesLike]) -> SigningKey: ...
    @staticmethod
    def load(path: StrPath) -> SigningKey: ...
    def to_pem(self) -> str: ...
    def save(self, path: StrPath) -> None:
        """Writes the key (mode 0600, never overwriting) and the public key beside it."""
    def public_key(self) -> VerifyingKey: ...
    @property
    def kid(self) -> bytes: ...
    @property
    def algorithm(self) -> str: ...

class VerifyingKey:
    """A public signing key: a sender as receivers trust it."""

    @staticmethod
    def from_pem(pem: str) -> VerifyingKey: ...
    @staticmethod
    def load(path: StrPath) -> VerifyingKey: ...
    def to_pem(self) -> str: ...
    @property
    def kid(self) -> bytes: ...
    @property
    def algorithm(self) -> str: ...

class RecipientKey:
    """A private HPKE key ("x25519" or "p256"): a receiver decrypting."""

    @staticmethod
    def generate(kem: str = "x25519") -> RecipientKey: ...
    @staticmethod
    def from_pem(pem: str) -> RecipientKey: ...
    @staticmethod
    def load(path: StrPath) -> RecipientKey: ...
    def to_pem(self) -> str: ...
    def save(self, path: StrPath) -> None: ...
    def public_key(self) -> RecipientPublicKey: ...
    @property
    def kid(self) -> bytes: ...

class RecipientPublicKey:
    """A public HPKE key: a receiver as senders encrypt to it."""

    @staticmethod
    def from_pem(pem: str) -> RecipientPublicKey: ...
    @staticmethod
    def load(path: StrPath) -> RecipientPublicKey: ...
    def to_pem(self) -> str: ...
    @property
    def kid(self) -> bytes: ...

class GroupKey:
    """A symmetric key shared by a group ("a128gcm", "a256gcm", "chacha20poly1305")."""

    def __init__(self, kid: BytesLike, secret: BytesLike, alg: str = "a256gcm") -> None: ...
    @staticmethod
    def generate(kid: BytesLike) -> GroupKey: ...
    @property
    def kid(self) -> bytes: ...

class GroupEpochs:
    """A group's keys across epochs (spec/key-management.md §2): the current epoch senders
    seal under, past epochs accepted until their grace ends, future epochs handed out ahead.
    Openers and sealers take a copy: after a change, hand it over again
    (`Opener.set_group_epochs`, `Sealer.set_encrypt_to`).

    >>> import payseal
    >>> group = payseal.GroupEpochs(b"plant", 1, bytes(16), "a128gcm")
    >>> group.add_next(2, bytes([2] * 16))        # handed ahead: accepted already
    >>> group.switch_to(2, 1_700_000_000, 60)     # epoch 1 accepted until +60 s
    >>> group.current_epoch, [(e, until) for e, _, until in group.epochs]
    (2, [(1, 1700000060), (2, None)])
    """

    def __init__(
        self, group: BytesLike, epoch: int, secret: BytesLike, alg: str = "a256gcm"
    ) -> None:
        """Group `group` (1 to 28 bytes) at `epoch`, with that epoch's secret (16 bytes for
        "a128gcm", 32 for "a256gcm"). Raises InvalidKey."""
    def add_next(self, epoch: int, secret: BytesLike) -> None:
        """A future epoch, accepted at once, sealed under only after switch_to."""
    def add_previous(self, epoch: int, secret: BytesLike, accept_until: int) -> None:
        """A past epoch, accepted until `accept_until` (Unix seconds, inclusive)."""
    def switch_to(self, epoch: int, now: int, grace_secs: int) -> None:
        """Makes a held future epoch current at `now`; the old one stays accepted for
        `grace_secs`, epochs whose grace ended are dropped. Raises InvalidKey."""
    def forget_ahead(self) -> None:
        """Forgets every epoch handed out ahead (a rotation abandoned)."""
    def current_key(self) -> GroupKey:
        """The current epoch's key (its kid: group id + epoch, 4 bytes big-endian)."""
    @property
    def group(self) -> bytes: ...
    @property
    def current_epoch(self) -> int: ...
    @property
    def epochs(self) -> list[tuple[int, bytes, Optional[int]]]:
        """Every epoch held, ascending: (epoch, kid, accept_until or None)."""

class TrustStore:
    """The senders a receiver trusts, each with the topic filters it may publish on."""

    def __init__(self) -> None: ...
    def add_sender(
        self, key: VerifyingKey, topics: Sequence[str], *, kid: Optional[BytesLike] = None
    ) -> None: ...
    def add_mac_sender(
        self, secret: BytesLike, kid: BytesLike, algorithm: str, topics: Sequence[str]
    ) -> None:
        """Trusts a MAC sender (spec/mac.md): its key is derived from the shared secret."""
        ...
    def set_validity(
        self, kid: BytesLike, *, not_before: Optional[int] = None, not_after: Optional[int] = None
    ) -> None:
        """Limits when the sender `kid` (signature or MAC) is accepted, in Unix seconds on the
        opener's clock, both ends inclusive (spec/key-management.md §3): `key_not_yet_valid`
        before, `key_expired` after.

        >>> import payseal
        >>> trust = payseal.TrustStore()
        >>> trust.add_mac_sender(bytes(32), b"sensor-7", "hmac256-64", ["plant/#"])
        >>> trust.set_validity(b"sensor-7", not_after=1_700_000_600)
        """
        ...
    def __len__(self) -> int: ...

class Policy:
    """Freshness bounds, replay window width and size limits."""

    def __init__(
        self,
        *,
        max_age: Optional[int] = None,
        max_future_skew: Optional[int] = None,
        window: Optional[int] = None,
        max_envelope_bytes: Optional[int] = None,
        max_recipients: Optional[int] = None,
        max_x5chain_bytes: Optional[int] = None,
        max_x5chain_certs: Optional[int] = None,
    ) -> None: ...
    @property
    def max_age(self) -> int: ...
    @property
    def max_future_skew(self) -> int: ...
    @property
    def window(self) -> int: ...
    @property
    def max_envelope_bytes(self) -> int: ...

class Verified:
    """A message that passed every check (decrypted if it was encrypted)."""

    @property
    def payload(self) -> bytes: ...
    @property
    def sender(self) -> bytes:
        """The sender's key id."""
    @property
    def identity(self) -> Optional[str]: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def encryption(self) -> Optional[str]:
        """"hpke", "hpke-key-encryption" or "group"; None if only signed."""
    @property
    def decrypted_with(self) -> Optional[bytes]: ...

class Sealer:
    """A sender: seals payloads into envelopes to publish."""

    def __init__(
        self,
        key: SigningKey,
        *,
        encrypt_to: Optional[
            Mapping[
                str,
                Union[RecipientPublicKey, Sequence[RecipientPublicKey], GroupKey, GroupEpochs],
            ]
        ] = None,
        state: Optional[StrPath] = None,
        reserve: int = 1000,
        seq_start: Optional[int] = None,
        kid: Optional[BytesLike] = None,
        clock: Optional[ManualClock] = None,
    ) -> None: ...
    def seal(self, topic: str, payload: BytesLike, *, kind: Kind = "live") -> bytes:
        """Signs (and on topics with an audience, encrypts) `payload` for `topic`.
        Raises SealError."""
    def set_encrypt_to(
        self,
        topic_filter: str,
        value: Union[RecipientPublicKey, Sequence[RecipientPublicKey], GroupKey, GroupEpochs],
    ) -> None:
        """Replaces the audience of `topic_filter` (added if new): after a group switches
        epoch, hand it over again to seal under the new current epoch."""
    @property
    def kid(self) -> bytes: ...

class Opener:
    """A receiver: opens envelopes, raising Rejected for anything that fails a check."""

    def __init__(
        self,
        trust: TrustStore,
        *,
        policy: Optional[Policy] = None,
        keys: Sequence[Union[RecipientKey, GroupKey, GroupEpochs]] = (),
        require_encryption: Sequence[str] = (),
        state: Optional[StrPath] = None,
        clock: Optional[ManualClock] = None,
    ) -> None: ...
    @staticmethod
    def from_trust_file(
        path: StrPath, *, state: Optional[StrPath] = None, clock: Optional[ManualClock] = None
    ) -> Opener:
        """The same TOML as the CLI's --trust (docs/trust-config.md)."""
    @staticmethod
    def x509(
        anchors: Sequence[BytesLike],
        *,
        deny_list: Optional[str] = None,
        policy: Optional[Policy] = None,
        keys: Sequence[Union[RecipientKey, GroupKey, GroupEpochs]] = (),
        require_encryption: Sequence[str] = (),
        state: Optional[StrPath] = None,
        clock: Optional[ManualClock] = None,
    ) -> Opener: ...
    def open(self, topic: str, data: BytesLike) -> Verified:
        """Returns the verified message or raises Rejected (.code, .is_alarm)."""
    def set_group_epochs(self, epochs: GroupEpochs) -> None:
        """Installs or replaces, in one step, the epoch keys of `epochs`' group."""
    def record_seen(
        self, kid: BytesLike, seq: int, *, kind: Kind = "live", topic: str = ""
    ) -> None: ...

class Receiver:
    """An Opener with MQTT's receive rules (spec/mqtt-adapters.md); takes the Opener over."""

    def __init__(
        self,
        opener: Opener,
        *,
        retained: Sequence[tuple[str, int]] = (),
        wills: Sequence[tuple[str, int]] = (),
        will_kids: Sequence[BytesLike] = (),
    ) -> None: ...
    def subscribe(self, topic_filter: str, qos: int = 1) -> None: ...
    def unsubscribe(self, topic_filter: str) -> None: ...
    def receive(
        self,
        topic: Union[str, BytesLike],
        payload: BytesLike,
        *,
        retain: bool = False,
        qos: int = 0,
    ) -> Optional[Verified]:
        """The verified message, None for a duplicate, or raises Rejected."""
