"""Round trips for every signature algorithm and every encryption mode, message kinds,
durable state (payseal-store) and the CLI's trust file."""

import threading

import pytest

import payseal

ALGS = ["ed25519", "p256", "k256"]


def pair(alg="ed25519", topics=("plant/#",), **opener_args):
    key = payseal.SigningKey.generate(alg)
    trust = payseal.TrustStore()
    trust.add_sender(key.public_key(), list(topics))
    return key, payseal.Opener(trust, **opener_args)


@pytest.mark.parametrize("alg", ALGS)
def test_signed_round_trip(alg):
    key, opener = pair(alg)
    sealer = payseal.Sealer(key, seq_start=7)
    verified = opener.open("plant/3/temp", sealer.seal("plant/3/temp", b"21.5"))
    assert (verified.payload, verified.seq, verified.algorithm) == (b"21.5", 7, alg)
    assert verified.sender == key.kid and verified.encryption is None
    with pytest.raises(payseal.Rejected) as e:
        opener.open("plant/4/temp", sealer.seal("plant/3/temp", b"x"))
    assert e.value.code == "bad_signature" and e.value.is_alarm


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize(
    "mode,audience",
    [
        ("hpke", lambda: [payseal.RecipientKey.generate("x25519")]),
        ("hpke", lambda: [payseal.RecipientKey.generate("p256")]),
        ("hpke-key-encryption", lambda: [payseal.RecipientKey.generate("x25519") for _ in range(3)]),
        ("group", lambda: payseal.GroupKey(b"g1", bytes(16), "a128gcm")),
        ("group", lambda: payseal.GroupKey.generate(b"g2")),
        ("group", lambda: payseal.GroupKey(b"g3", bytes(range(32)), "a256gcm")),
    ],
)
def test_encrypted_round_trip(alg, mode, audience):
    keys = audience()
    if isinstance(keys, payseal.GroupKey):
        encrypt_to, mine, other = keys, keys, None
    else:
        encrypt_to, mine = [k.public_key() for k in keys], keys[0]
        other = payseal.RecipientKey.generate("x25519") if mode == "hpke" else None
    key, opener = pair(alg, keys=[mine], require_encryption=["plant/+/door"])
    sealer = payseal.Sealer(key, encrypt_to={"plant/+/door": encrypt_to})
    envelope = sealer.seal("plant/1/door", b"open")
    assert b"open" not in envelope
    verified = opener.open("plant/1/door", envelope)
    assert verified.payload == b"open" and verified.encryption == mode
    assert verified.decrypted_with == mine.kid
    # Signed only on a topic that requires encryption: a downgrade.
    with pytest.raises(payseal.Rejected) as e:
        opener.open("plant/2/door", payseal.Sealer(key).seal("plant/2/door", b"open"))
    assert e.value.code == "encryption_required"
    if other is not None:
        trust_key = payseal.TrustStore()
        trust_key.add_sender(key.public_key(), ["plant/#"])
        outsider = payseal.Opener(trust_key, keys=[other])
        with pytest.raises(payseal.Rejected) as e:
            outsider.open("plant/1/door", sealer.seal("plant/1/door", b"open"))
        assert e.value.code == "not_for_me" and not e.value.is_alarm


def test_group_epochs_rotation_round_trip():
    """spec/key-management.md §2: the sender seals under the current epoch; the receiver
    holds the next epoch ahead, and the previous one for its grace period only."""
    clock = payseal.ManualClock(1_700_000_000)
    secrets = {e: bytes([e]) * 16 for e in (1, 2)}
    sender_group = payseal.GroupEpochs(b"plant", 1, secrets[1], "a128gcm")
    receiver_group = payseal.GroupEpochs(b"plant", 1, secrets[1], "a128gcm")
    receiver_group.add_next(2, secrets[2])
    key, opener = pair(keys=[receiver_group], require_encryption=["plant/#"], clock=clock)
    sealer = payseal.Sealer(key, encrypt_to={"plant/#": sender_group}, clock=clock, seq_start=1)
    before = sealer.seal("plant/1/t", b"e1")
    assert opener.open("plant/1/t", before).decrypted_with == b"plant\x00\x00\x00\x01"
    # The sender switches; the receiver already holds epoch 2 (handed ahead).
    sender_group.add_next(2, secrets[2])
    sender_group.switch_to(2, 1_700_000_000, 60)
    sealer.set_encrypt_to("plant/#", sender_group)
    after = sealer.seal("plant/1/t", b"e2")
    assert opener.open("plant/1/t", after).decrypted_with == b"plant\x00\x00\x00\x02"
    # The receiver switches too: epoch 1 stays accepted for its 60 s of grace, then expires.
    receiver_group.switch_to(2, 1_700_000_000, 60)
    opener.set_group_epochs(receiver_group)
    epoch_1 = payseal.GroupEpochs(b"plant", 1, secrets[1], "a128gcm")
    late_sealer = payseal.Sealer(key, encrypt_to={"plant/#": epoch_1}, clock=clock, seq_start=100)
    old = [late_sealer.seal("plant/1/t", b"old") for _ in range(2)]
    clock.advance(60)
    assert opener.open("plant/1/t", old[0]).payload == b"old"
    clock.advance(1)
    with pytest.raises(payseal.Rejected) as e:
        opener.open("plant/1/t", old[1])
    assert e.value.code == "key_expired"
    assert [(epoch, until) for epoch, _, until in receiver_group.epochs] == [
        (1, 1_700_000_060),
        (2, None),
    ]
    with pytest.raises(payseal.InvalidKey):
        receiver_group.switch_to(2, 1_700_000_100, 60)  # not forward


@pytest.mark.parametrize("kind", ["live", "retained", "will"])
def test_kinds_round_trip(kind):
    key, opener = pair()
    verified = opener.open("plant/1/s", payseal.Sealer(key).seal("plant/1/s", b"x", kind=kind))
    assert verified.kind == kind


def test_freshness_with_a_manual_clock():
    clock = payseal.ManualClock(1_700_000_000)
    key, opener = pair(policy=payseal.Policy(max_age=60), clock=clock)
    envelope = payseal.Sealer(key, clock=clock).seal("plant/1/t", b"x")
    clock.advance(61)
    with pytest.raises(payseal.Rejected) as e:
        opener.open("plant/1/t", envelope)
    assert e.value.code == "stale"


def test_replay_state_survives_a_restart(tmp_path):
    state = tmp_path / "state"
    key = payseal.SigningKey.generate()
    trust = payseal.TrustStore()
    trust.add_sender(key.public_key(), ["plant/#"])
    envelope = payseal.Sealer(key).seal("plant/1/t", b"x")
    payseal.Opener(trust, state=state).open("plant/1/t", envelope)
    # A new opener over the same state directory (a restarted process) remembers it.
    with pytest.raises(payseal.Rejected) as e:
        payseal.Opener(trust, state=state).open("plant/1/t", envelope)
    assert e.value.code == "replayed"
    # Without state, a restart forgets (the contrast the state directory exists for).
    payseal.Opener(trust).open("plant/1/t", envelope)


def test_sequence_file_never_reuses_numbers(tmp_path):
    key = payseal.SigningKey.generate()
    path = tmp_path / "sensor.seq"
    trust = payseal.TrustStore()
    trust.add_sender(key.public_key(), ["plant/#"])
    opener = payseal.Opener(trust)
    first = opener.open("plant/1/t", payseal.Sealer(key, state=path, reserve=10).seal("plant/1/t", b"a"))
    again = opener.open("plant/1/t", payseal.Sealer(key, state=path, reserve=10).seal("plant/1/t", b"b"))
    assert again.seq > first.seq


def test_keys_save_and_load(tmp_path):
    key = payseal.SigningKey.generate("p256")
    key.save(tmp_path / "sensor.key")
    assert (tmp_path / "sensor.key").stat().st_mode & 0o777 == 0o600
    assert payseal.SigningKey.load(tmp_path / "sensor.key").kid == key.kid
    assert payseal.VerifyingKey.load(tmp_path / "sensor.pub") == key.public_key()
    with pytest.raises(OSError):
        key.save(tmp_path / "sensor.key")  # never overwrites
    assert payseal.SigningKey.from_pem(key.to_pem().encode()).kid == key.kid
    assert "PRIVATE" not in repr(key)


def test_opener_from_trust_file(tmp_path):
    key = payseal.SigningKey.generate()
    key.save(tmp_path / "sensor.key")
    dash = payseal.RecipientKey.generate()
    dash.save(tmp_path / "dashboard.key")
    (tmp_path / "trust.toml").write_text(
        '[[sender]]\nname = "sensor"\npublic_key = "sensor.pub"\ntopics = ["plant/+/temp"]\n\n'
        '[decrypt]\nkeys = ["dashboard.key"]\nrequire_encryption = ["plant/+/temp"]\n'
    )
    opener = payseal.Opener.from_trust_file(tmp_path / "trust.toml")
    sealer = payseal.Sealer(key, encrypt_to={"plant/#": dash.public_key()})
    assert opener.open("plant/3/temp", sealer.seal("plant/3/temp", b"21.5")).payload == b"21.5"
    with pytest.raises(payseal.Rejected) as e:
        opener.open("plant/3/temp", payseal.Sealer(key).seal("plant/3/temp", b"21.5"))
    assert e.value.code == "encryption_required"


def test_trust_file_errors_name_line_and_column(tmp_path):
    (tmp_path / "trust.toml").write_text('[[sender]]\nname = "s"\npublic_key = "missing.pub"\ntopics = ["a/#"]\nbogus = 1\n')
    with pytest.raises(payseal.ConfigError) as e:
        payseal.Opener.from_trust_file(tmp_path / "trust.toml")
    assert "trust.toml:" in str(e.value)
    with pytest.raises(OSError):
        payseal.Opener.from_trust_file(tmp_path / "absent.toml")


def test_threads_share_an_opener():
    # A window wider than the run: threads interleave, and the core refuses numbers more
    # than a window below the highest seen (below_window), which is not what this is about.
    key, opener = pair(policy=payseal.Policy(window=1024))
    sealer = payseal.Sealer(key)
    envelopes = [sealer.seal("plant/1/t", b"%d" % i) for i in range(400)]
    results, lock = [], threading.Lock()

    def work(chunk):
        for env in chunk:
            for _ in range(2):  # each envelope twice: exactly one acceptance in total
                try:
                    opener.open("plant/1/t", env)
                    with lock:
                        results.append("ok")
                except payseal.Rejected as e:
                    with lock:
                        results.append(e.code)

    threads = [threading.Thread(target=work, args=(envelopes[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 400 and results.count("replayed") == 400
