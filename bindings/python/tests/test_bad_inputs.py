"""Bad inputs raise typed exceptions and never crash the interpreter."""

import os

import pytest

import payseal


@pytest.fixture
def opener_and_envelope():
    key = payseal.SigningKey.generate()
    trust = payseal.TrustStore()
    trust.add_sender(key.public_key(), ["a/#"])
    return payseal.Opener(trust), payseal.Sealer(key).seal("a/b", b"hello"), key


@pytest.mark.parametrize("bad", ["text", 5, None, [1, 2], 3.5, object()])
def test_wrong_types_are_type_errors(opener_and_envelope, bad):
    opener, _, key = opener_and_envelope
    with pytest.raises(TypeError):
        opener.open("a/b", bad)
    with pytest.raises(TypeError):
        payseal.Sealer(key).seal("a/b", bad)
    with pytest.raises(TypeError):
        opener.open(bad if not isinstance(bad, str) else 5, b"x")


def test_every_truncation_is_rejected(opener_and_envelope):
    opener, envelope, _ = opener_and_envelope
    for n in range(len(envelope)):
        with pytest.raises(payseal.Rejected) as e:
            opener.open("a/b", envelope[:n])
        assert e.value.code in payseal.REASON_CODES


def test_every_bit_flip_is_rejected(opener_and_envelope):
    opener, envelope, _ = opener_and_envelope
    for i in range(len(envelope)):
        flipped = bytearray(envelope)
        flipped[i] ^= 0x01
        with pytest.raises(payseal.Rejected):
            opener.open("a/b", bytes(flipped))


def test_random_junk_is_rejected(opener_and_envelope):
    opener, _, _ = opener_and_envelope
    for n in list(range(0, 64)) + [1000, 5000]:
        with pytest.raises(payseal.Rejected):
            opener.open("a/b", os.urandom(n))
    with pytest.raises(payseal.Rejected) as e:
        opener.open("a/b", b"21.5")
    assert e.value.code == "not_an_envelope"


def test_huge_inputs(opener_and_envelope):
    opener, _, key = opener_and_envelope
    with pytest.raises(payseal.Rejected) as e:
        opener.open("a/b", b"\xd2" + bytes(64 * 1024 * 1024))
    assert e.value.code == "too_large"
    with pytest.raises(payseal.SealError):
        payseal.Sealer(key).seal("a/b", bytes(16 * 1024 * 1024))
    with pytest.raises(payseal.Rejected) as e:
        opener.open("a/" + "x" * 70000, b"\xd2\x84")
    assert e.value.code in ("invalid_topic", "invalid_cbor")


@pytest.mark.parametrize("topic", ["", "a/+", "a/#", "a\0b"])
def test_invalid_topics(opener_and_envelope, topic):
    opener, envelope, key = opener_and_envelope
    with pytest.raises(payseal.SealError):
        payseal.Sealer(key).seal(topic, b"x")
    with pytest.raises(payseal.Rejected) as e:
        opener.open(topic, envelope)
    assert e.value.code == "invalid_topic"


def test_bad_keys_and_config():
    with pytest.raises(payseal.InvalidKey):
        payseal.SigningKey.from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(payseal.InvalidKey):
        payseal.VerifyingKey.from_pem("not a key")
    with pytest.raises(ValueError):
        payseal.SigningKey.generate("rsa")
    with pytest.raises(payseal.ConfigError):
        payseal.TrustStore().add_sender(payseal.SigningKey.generate().public_key(), ["a/#/b"])
    with pytest.raises(payseal.ConfigError):
        payseal.Policy(window=0)
    with pytest.raises(TypeError):
        payseal.Opener(payseal.TrustStore(), keys=["not a key"])
    # Validity windows: an unknown kid, an inverted window, a negative time.
    trust = payseal.TrustStore()
    trust.add_mac_sender(bytes(32), b"s1", "hmac256-64", ["a/#"])
    with pytest.raises(payseal.ConfigError):
        trust.set_validity(b"s2", not_after=5)
    with pytest.raises(payseal.ConfigError):
        trust.set_validity(b"s1", not_before=10, not_after=5)
    with pytest.raises(OverflowError):
        trust.set_validity(b"s1", not_before=-1)
    # Group epochs: a group id too long for the kid, a secret of the wrong length, an epoch
    # handed "ahead" that is not ahead.
    with pytest.raises(payseal.InvalidKey):
        payseal.GroupEpochs(b"g" * 29, 1, bytes(16), "a128gcm")
    with pytest.raises(payseal.InvalidKey):
        payseal.GroupEpochs(b"g", 1, bytes(15), "a128gcm")
    group = payseal.GroupEpochs(b"g", 2, bytes(16), "a128gcm")
    with pytest.raises(payseal.InvalidKey):
        group.add_next(2, bytes(16))
    with pytest.raises(payseal.InvalidKey):
        group.add_previous(3, bytes(16), 0)
    with pytest.raises(ValueError):
        payseal.GroupEpochs(b"g", 1, bytes(16), "rot13")
    # The exception hierarchy: everything payseal raises is a PaysealError.
    for cls in (payseal.Rejected, payseal.SealError, payseal.InvalidKey, payseal.ConfigError, payseal.StoreError):
        assert issubclass(cls, payseal.PaysealError)


def test_receiver_refuses_non_utf8_topics_and_unsubscribed(opener_and_envelope):
    opener, envelope, _ = opener_and_envelope
    receiver = payseal.Receiver(opener)
    with pytest.raises(payseal.Rejected) as e:
        receiver.receive("a/b", envelope)
    assert e.value.code == "not_subscribed" and not e.value.is_alarm
    receiver.subscribe("a/#")
    with pytest.raises(payseal.Rejected) as e:
        receiver.receive(b"a/\xff", envelope)
    assert e.value.code == "invalid_topic"
    assert receiver.receive(b"a/b", envelope).payload == b"hello"
    assert receiver.receive("a/b", envelope) is None  # a duplicate, not an alarm
    with pytest.raises(RuntimeError):
        opener.open("a/b", envelope)  # the opener moved into the receiver
