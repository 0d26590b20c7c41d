"""Every vector in test-vectors/*.json through the Python API: the same outcome and reason
code as the Rust tests (crates/payseal/tests/vectors.rs, encrypt_vectors.rs,
crates/payseal-mqtt/tests/kind_vectors.rs, crates/payseal-x509/tests/vectors.rs)."""

import json

import pytest

import payseal
from conftest import REPO


def load(name):
    return json.loads((REPO / "test-vectors" / f"{name}.json").read_text())


SIGN1, ENCRYPT, KIND, X5CHAIN, MAC, EPOCHS = (
    load(n) for n in ("sign1", "encrypt", "kind", "x5chain", "mac", "epochs")
)
MAC_ALG_NAMES = {4: "hmac256-64", 5: "hmac256"}


def policy(file, max_recipients=None):
    p = file["policy"]
    return payseal.Policy(
        max_age=p["max_age"],
        max_future_skew=p["max_future_skew"],
        window=p["window"],
        max_envelope_bytes=p["max_envelope_bytes"],
        max_recipients=max_recipients,
    )


def trust(file):
    store = payseal.TrustStore()
    for t in file["trust"]:
        key = payseal.VerifyingKey.from_pem(file["keys"][t["key"]]["public_spki_pem"])
        kid = bytes.fromhex(t["kid"]) if "kid" in t else None
        store.add_sender(key, t["topics"], kid=kid)
    return store


def outcome(open_fn):
    try:
        return open_fn(), "valid"
    except payseal.Rejected as e:
        assert e.code in payseal.REASON_CODES
        return None, e.code


@pytest.mark.parametrize("v", SIGN1["vectors"], ids=lambda v: v["id"])
def test_sign1(v):
    opener = payseal.Opener(
        trust(SIGN1), policy=policy(SIGN1), clock=payseal.ManualClock(v["now"])
    )
    for signer, seq in v["accepted_before"]:
        opener.record_seen(bytes.fromhex(SIGN1["keys"][signer]["kid"]), seq)
    verified, code = outcome(lambda: opener.open(v["topic"], bytes.fromhex(v["envelope"])))
    assert code == v["expected"]
    if verified is not None:
        assert verified.payload.hex() == v["payload"]
        assert verified.seq == v["seq"]
        assert verified.timestamp == v["timestamp"]
        assert verified.sender.hex() == SIGN1["keys"][v["signer"]]["kid"]


def encrypt_keys(only):
    keys = []
    receiver = ENCRYPT["receiver"]
    for name in receiver["recipient_keys"]:
        if only is None or name in only:
            entry = ENCRYPT["recipient_keys"][name]
            key = payseal.RecipientKey.from_pem(entry["private_pkcs8_pem"])
            assert key.kid.hex() == entry["kid"]
            keys.append(key)
    for name in receiver["group_keys"]:
        g = ENCRYPT["group_keys"][name]
        keys.append(payseal.GroupKey(bytes.fromhex(g["kid"]), bytes.fromhex(g["secret"]), g["alg"]))
    return keys


@pytest.mark.parametrize("v", ENCRYPT["vectors"], ids=lambda v: v["id"])
def test_encrypt(v):
    receiver = ENCRYPT["receiver"]
    opener = payseal.Opener(
        trust(ENCRYPT),
        policy=policy(ENCRYPT, max_recipients=receiver["max_recipients"]),
        keys=encrypt_keys(v.get("recipient_keys")),
        require_encryption=receiver["require_encryption"],
        clock=payseal.ManualClock(v["now"]),
    )
    for signer, seq in v["accepted_before"]:
        opener.record_seen(bytes.fromhex(ENCRYPT["keys"][signer]["kid"]), seq)
    verified, code = outcome(lambda: opener.open(v["topic"], bytes.fromhex(v["envelope"])))
    assert code == v["expected"]
    if verified is not None:
        assert verified.payload.hex() == v["plaintext"]
        assert verified.seq == v["seq"]
        if v["decrypted_with"] is not None:
            assert verified.encryption is not None
            names = {**ENCRYPT["recipient_keys"], **ENCRYPT["group_keys"]}
            assert verified.decrypted_with.hex() == names[v["decrypted_with"]]["kid"]


@pytest.mark.parametrize("v", KIND["vectors"], ids=lambda v: v["id"])
def test_kind(v):
    opener = payseal.Opener(trust(KIND), policy=policy(KIND), clock=payseal.ManualClock(v["now"]))
    for a in v["accepted_before"]:
        opener.record_seen(bytes.fromhex(a["kid"]), a["seq"], kind=a["kind"], topic=a["topic"])
    r = KIND["receiver"]
    receiver = payseal.Receiver(
        opener,
        retained=[(x["filter"], x["max_age"]) for x in r["retained"]],
        wills=[(x["filter"], x["max_age"]) for x in r["wills"]],
        will_kids=[bytes.fromhex(k) for k in r["will_kids"]],
    )
    receiver.subscribe("#")
    envelope = bytes.fromhex(v["envelope"])
    verified, code = outcome(lambda: receiver.receive(v["topic"], envelope, retain=v["retain"], qos=1))
    if verified is None and code == "valid":
        code = "replayed"  # a duplicate: dropped, as the adapters do
    assert code == v["expected"]
    if verified is not None:
        assert verified.payload.hex() == v["payload"]
        assert verified.seq == v["seq"]
        assert verified.sender.hex() == v["kid"]
        assert verified.kind == v["kind"]


@pytest.mark.parametrize("v", X5CHAIN["vectors"], ids=lambda v: v["id"])
def test_x5chain(v):
    budget = v.get("limits", {})  # a vector may give the receiver another certificate budget
    opener = payseal.Opener.x509(
        [bytes.fromhex(X5CHAIN["trust_anchor"])],
        deny_list="\n".join(X5CHAIN["deny_list"]),
        policy=payseal.Policy(
            max_x5chain_bytes=budget.get("max_x5chain_bytes"),
            max_x5chain_certs=budget.get("max_x5chain_certs"),
        ),
        clock=payseal.ManualClock(v["now"]),
    )
    verified, code = outcome(lambda: opener.open(v["topic"], bytes.fromhex(v["envelope"])))
    assert code == v["expected"]
    if verified is not None:
        assert verified.payload.hex() == v["payload"]


@pytest.mark.parametrize("v", MAC["vectors"], ids=lambda v: v["id"])
def test_mac(v):
    store = payseal.TrustStore()
    kids = {s["name"]: s["kid"] for s in MAC["senders"]}
    for s in MAC["senders"]:
        if s["topics"]:  # a sender trusted nowhere stays unknown
            alg = MAC_ALG_NAMES[s["alg_id"]]
            store.add_mac_sender(bytes.fromhex(MAC["secret"]), bytes.fromhex(s["kid"]), alg, s["topics"])
            store.set_validity(
                bytes.fromhex(s["kid"]), not_before=s.get("not_before"), not_after=s.get("not_after")
            )
    opener = payseal.Opener(store, policy=policy(MAC), clock=payseal.ManualClock(v["now"]))
    for name, seq in v["accepted_before"]:
        opener.record_seen(bytes.fromhex(kids[name]), seq)
    verified, code = outcome(lambda: opener.open(v["topic"], bytes.fromhex(v["envelope"])))
    assert code == v["expected"]
    if verified is not None:
        assert verified.payload.hex() == v["payload"]
        assert verified.seq == v["seq"]
        assert verified.sender.hex() == kids[v["stamper"]]
        assert verified.algorithm in MAC_ALG_NAMES.values()


def epoch_groups(file):
    """The receiver's GroupEpochs of epochs.json: current, previous (with accept_until) and
    next epochs, as crates/payseal/tests/epoch_vectors.rs builds them."""
    groups = []
    for g in file["groups"]:
        secrets = {e["epoch"]: bytes.fromhex(e["secret"]) for e in g["epochs"]}
        current = g["current"]
        group = payseal.GroupEpochs(bytes.fromhex(g["group"]), current, secrets[current], g["alg"].lower())
        for e in g["epochs"]:
            if e["epoch"] < current:
                group.add_previous(e["epoch"], secrets[e["epoch"]], e["accept_until"])
            elif e["epoch"] > current:
                assert e["accept_until"] is None
                group.add_next(e["epoch"], secrets[e["epoch"]])
        assert [(e, until) for e, _, until in group.epochs] == [
            (e["epoch"], e["accept_until"]) for e in sorted(g["epochs"], key=lambda e: e["epoch"])
        ]
        groups.append(group)
    return groups


@pytest.mark.parametrize("v", EPOCHS["vectors"], ids=lambda v: v["id"])
def test_epochs(v):
    store = payseal.TrustStore()
    for t in EPOCHS["trust"]:
        key = payseal.VerifyingKey.from_pem(EPOCHS["keys"][t["key"]]["public_spki_pem"])
        store.add_sender(key, t["topics"])
        store.set_validity(key.kid, not_before=t["not_before"], not_after=t["not_after"])
    opener = payseal.Opener(
        store, policy=policy(EPOCHS), keys=epoch_groups(EPOCHS), clock=payseal.ManualClock(v["now"])
    )
    verified, code = outcome(lambda: opener.open(v["topic"], bytes.fromhex(v["envelope"])))
    assert code == v["expected"]
    if verified is not None:
        assert verified.payload.hex() == v["plaintext"]
        assert verified.sender.hex() == EPOCHS["keys"][v["signer"]]["kid"]
        if v["epoch"] is not None:
            assert verified.decrypted_with[-4:] == v["epoch"].to_bytes(4, "big")
        else:
            assert verified.encryption is None


def test_every_vector_file_is_covered():
    files = sorted(p.stem for p in (REPO / "test-vectors").glob("*.json"))
    assert files == ["encrypt", "epochs", "kind", "mac", "sign1", "x5chain"]


def test_key_files_agree():
    for file in (SIGN1, ENCRYPT, KIND):
        for name, entry in file["keys"].items():
            key = payseal.SigningKey.from_pem(entry["private_pkcs8_pem"])
            public = payseal.VerifyingKey.from_pem(entry["public_spki_pem"])
            assert key.public_key() == public, name
            assert key.kid.hex() == entry["kid"], name
