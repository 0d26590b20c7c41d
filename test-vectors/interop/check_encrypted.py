#!/usr/bin/env python3
"""Independent payseal/1 receiver for encrypted envelopes, written from spec/encryption.md and
spec/envelope.md alone, run over encrypt.json.

Usage: check_encrypted.py [path/to/encrypt.json]   (default: ../encrypt.json next to this script)

Division of labour (see README.md):
  * signed layer: check_vectors.py (imported), i.e. spec/envelope.md §5 steps 1-11, with the
    encryption_required check of spec/encryption.md §6 hooked in between steps 7 and 8.
  * stock libraries: `cwt` decrypts the encrypted layer (COSE-HPKE draft-25: integrated
    HPKE in COSE_Encrypt0, HPKE key encryption in COSE_Encrypt recipients, AES-GCM for group
    keys) given our inner_external_aad; `cryptography` derives group sender keys (HKDF-SHA256)
    and parses the PEM keys for a consistency check of the vector file.
  * profile logic (this file): the strict scan and shape of the encrypted layer, the
    recipient limit, algorithm lists, which key applies (not_for_me), the suite/curve match,
    group IV == nonce(seq), the group message key (HKDF-SHA256 with the message's salt) and
    the key commitment (spec/encryption.md §4.1: HKDF-SHA256 of the content key, compared
    after the AEAD opened; the content key of a multi-recipient message is unwrapped by cwt's
    own HPKE recipient), in the order of the table in spec/encryption.md §6.
"""
import hmac
import os
import sys

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cwt import COSE, COSEKey, Recipient
from cwt.exceptions import DecodeError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_vectors as signed                       # noqa: E402  (the signed layer)
from check_vectors import PROFILE, Reject, is_int, strict_scan, filter_matches  # noqa: E402

# spec/encryption.md §2: suite alg -> KEM curve; content algs -> key length
HPKE_INTEGRATED = {35: "P-256", 41: "X25519", 42: "X25519", 45: "P-256"}
HPKE_KEY_ENCRYPTION = {46: "P-256", 49: "X25519", 50: "X25519", 53: "P-256"}
CONTENT_ALGS = {1: 16, 3: 32, 24: 32}                # A128GCM, A256GCM, ChaCha20/Poly1305
GROUP_ALGS = {"A128GCM": 1, "A256GCM": 3}            # §5: AES-GCM only
COSE_CURVE = {"X25519": (1, 4), "P-256": (2, 1)}     # kem -> (kty, crv) of its COSE_Key
COMMITMENT, SALT = -65537, -20                       # §4.1 key commitment; §5 salt


def inner_external_aad(topic, sender_kid, seq):     # §1
    return cbor2.dumps(["payseal/1 encrypted", topic, sender_kid, seq])


def nonce(seq):                                      # §5
    return bytes(4) + seq.to_bytes(8, "big")


def group_message_key(secret, sender_kid, alg, salt):  # §5: per sender and per message
    info = cbor2.dumps(["payseal/1 group key", sender_kid, alg])
    return HKDF(hashes.SHA256(), CONTENT_ALGS[alg], salt=salt, info=info).derive(secret)


def check_commitment(alg, key, iv, commitment):     # §4.1, after the AEAD opened
    info = cbor2.dumps(["payseal/1 key commitment", alg, iv])
    expected = HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(key)
    if not hmac.compare_digest(expected, commitment):
        raise Reject("key_commitment_mismatch")


def recipient_cose_key(rec):
    """The receiver's private key as a cwt COSEKey, from the file's cose_key, after checking
    that cose_key, PEM, public and kid describe the same key (a vector-file sanity check)."""
    ck = cbor2.loads(bytes.fromhex(rec["cose_key"]))
    pem = serialization.load_pem_private_key(rec["private_pkcs8_pem"].encode(), None)
    if rec["kem"] == "X25519":
        ok = isinstance(pem, x25519.X25519PrivateKey)
        pub = pem.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        cose_pub = ck.get(-2)
    else:
        ok = isinstance(pem, ec.EllipticCurvePrivateKey) and pem.curve.name == "secp256r1"
        pub = pem.public_key().public_bytes(serialization.Encoding.X962,
                                            serialization.PublicFormat.UncompressedPoint)
        cose_pub = b"\x04" + ck.get(-2, b"") + ck.get(-3, b"")
    suites = {a for t in (HPKE_INTEGRATED, HPKE_KEY_ENCRYPTION) for a, c in t.items()
              if c == rec["kem"]}
    if (not ok or (ck.get(1), ck.get(-1)) != COSE_CURVE[rec["kem"]]
            or ck.get(2) != bytes.fromhex(rec["kid"]) or (3 in ck and ck[3] not in suites)
            or not pub == cose_pub == bytes.fromhex(rec["public"])):
        raise ValueError("recipient key %s: cose_key, PEM, public and kid disagree" % rec["kid"])
    return COSEKey.from_bytes(bytes.fromhex(rec["cose_key"]))


def cwt_decrypt(layer, key, aad):
    """Decryption by the stock library. Only cwt's DecodeError (HPKE open, CEK length, AEAD
    open, key/KEM mismatch) means decrypt_failed; anything else is a bug and propagates."""
    try:
        return COSE.new().decode(layer, key, external_aad=aad)
    except DecodeError:
        raise Reject("decrypt_failed") from None


# ---------------------------------------------------------------------------------------
# spec/encryption.md §6, rows 1-2: strict scan and shape of the encrypted layer
# ---------------------------------------------------------------------------------------
def protected_map(b, labels=None):
    """A protected header bstr: strictly scanned, a map with integer labels, exactly `labels`
    (when given)."""
    if not b:
        raise Reject("invalid_header")              # an empty bstr has no label 1
    strict_scan(b, allow_outer_tag=False)           # §4.1 of envelope.md, its own count/depth
    h = cbor2.loads(b)
    if not isinstance(h, dict):
        raise Reject("invalid_header")
    integer_labels(h)
    if labels is not None and set(h) != labels:
        raise Reject("invalid_header")
    return h


def integer_labels(h):
    """§6 steps 5.1-5.2: every label an integer in the 64-bit signed range (one outside it is
    no label of §3-§5, like a text label)."""
    if not all(is_int(k) and -2**63 <= k < 2**63 for k in h):
        raise Reject("invalid_header")


def check_values(h):
    """Types of the header values of §3-§5 (alg int, kid/ek non-empty bstr, IV 12-byte bstr, commitment
    32-byte bstr, salt 16-byte bstr)."""
    ok = {1: is_int, 4: lambda v: isinstance(v, bytes) and v, -4: lambda v: isinstance(v, bytes) and v,
          5: lambda v: isinstance(v, bytes) and len(v) == 12,
          COMMITMENT: lambda v: isinstance(v, bytes) and len(v) == 32,
          SALT: lambda v: isinstance(v, bytes) and len(v) == 16}
    if not all(ok[label](v) for label, v in h.items()):
        raise Reject("invalid_header")


def parse_layer(payload, content_type, max_recipients):
    tag, start = strict_scan(payload, allow_outer_tag=True, max_items=None)
    if tag != content_type:
        raise Reject("invalid_structure")           # one root tag, equal to the content type
    msg = cbor2.loads(payload[start:])
    n = 3 if content_type == 16 else 4
    if not (isinstance(msg, list) and len(msg) == n):
        raise Reject("invalid_structure")
    entries = [msg[:3]]
    if content_type == 96:
        if not (isinstance(msg[3], list) and msg[3]):
            raise Reject("invalid_structure")       # [+ recipient]
        entries += msg[3]
    for e in entries:
        if not (isinstance(e, list) and len(e) == 3 and isinstance(e[0], bytes)
                and isinstance(e[1], dict) and isinstance(e[2], bytes)):
            raise Reject("invalid_structure")
    if content_type == 96 and len(msg[3]) > max_recipients:
        raise Reject("too_many_recipients")         # §6: before any header is read
    # §6 step 5: the body first (5.1-5.5), then every recipient entry in order (5.6)
    prot, unprot = protected_map(msg[0]), msg[1]    # 5.1
    integer_labels(unprot)                          # 5.2: before the alg is judged
    if not is_int(prot.get(1)):
        raise Reject("invalid_header")              # 5.3
    if content_type == 16:                          # 5.4: the alg says which of §3 and §5
        if prot[1] in HPKE_INTEGRATED:
            mode, plabels, labels = "hpke", {1}, {4, -4}
        elif prot[1] in (1, 3):
            mode, plabels, labels = "group", {1, COMMITMENT}, {4, 5, SALT}
        else:
            raise Reject("unsupported_algorithm")
    else:
        mode, plabels, labels = "hpke-key-encryption", {1, COMMITMENT}, {5}
    if set(prot) != plabels:                        # 5.5: the labels of that kind
        raise Reject("invalid_header")
    check_values(prot)
    if set(unprot) != labels:
        raise Reject("invalid_header")
    check_values(unprot)
    recipients = []                                 # (suite alg, kid, entry)
    for r in msg[3] if content_type == 96 else ():  # 5.6
        rp = protected_map(r[0], {1, 4})
        integer_labels(r[1])
        if set(r[1]) != {-4}:
            raise Reject("invalid_header")
        check_values(rp)
        check_values(r[1])
        recipients.append((rp[1], rp[4], r))
    return mode, msg, prot, unprot, recipients


# ---------------------------------------------------------------------------------------
# The receiver: signed layer (check_vectors.Verifier) + encrypted layer (§6)
# ---------------------------------------------------------------------------------------
class Receiver(signed.Verifier):
    decrypts = True                                  # step 11 runs after decryption

    def __init__(self, data):
        super().__init__(data)
        rc = data["receiver"]
        self.recipient_keys = {bytes.fromhex(data["recipient_keys"][n]["kid"]):
                               (n, data["recipient_keys"][n]) for n in rc["recipient_keys"]}
        self.group_keys = {bytes.fromhex(data["group_keys"][n]["kid"]):
                           (n, data["group_keys"][n]) for n in rc["group_keys"]}
        self.require_encryption = rc["require_encryption"]
        self.max_recipients = rc["max_recipients"]

    def after_topic_check(self, f, topic):          # §6: after envelope.md §5 step 7
        if f["content_type"] is None and any(
                filter_matches(flt, topic) for flt in self.require_encryption):
            raise Reject("encryption_required")

    def group_key(self, kid, f):
        """§6 step 7 for a group layer: (key name, group key record) or not_for_me.
        check_epochs.py applies spec/key-management.md §2.2 here."""
        name, gk = self.group_keys.get(kid) or (None, None)
        if gk is None:
            raise Reject("not_for_me")
        return name, gk

    def receive(self, env, topic):
        """Returns (outer fields, mode, key name, plaintext) or raises Reject."""
        f = self.open(env, topic)  # envelope.md §5 steps 1-10 (+ the hook); 11 if not encrypted
        if f["content_type"] is None:
            return f, "none", None, f["payload"]
        f, mode, name, plaintext = self.decrypt(f, topic)
        self.replay_window(f, topic)                 # envelope.md §5 step 11, after decryption
        return f, mode, name, plaintext

    def decrypt(self, f, topic):
        """encryption.md §6 steps 1-9; returns (f, mode, key name, plaintext)."""
        payload = f["payload"]
        mode, msg, prot, unprot, recipients = parse_layer(
            payload, f["content_type"], self.max_recipients)
        alg = prot[1]
        if mode == "hpke-key-encryption" and alg not in CONTENT_ALGS:
            raise Reject("unsupported_algorithm")
        aad = inner_external_aad(topic, f["kid"], f["seq"])
        if mode == "group":
            name, gk = self.group_key(unprot[4], f)
            if GROUP_ALGS[gk["alg"]] != alg or unprot[5] != nonce(f["seq"]):
                raise Reject("decrypt_failed")
            secret = group_message_key(bytes.fromhex(gk["secret"]), f["kid"], alg, unprot[SALT])
            plaintext = cwt_decrypt(payload, COSEKey.from_symmetric_key(
                secret, alg=alg, kid=unprot[4]), aad)
            check_commitment(alg, secret, unprot[5], prot[COMMITMENT])
            return f, mode, name, plaintext
        if mode == "hpke":
            suite, layer, kid = alg, payload, unprot[4]
        else:                                        # the first entry naming one of our keys
            mine = [(a, k, r) for a, k, r in recipients if k in self.recipient_keys]
            if not mine:
                raise Reject("not_for_me")
            suite, kid, entry = mine[0]
            if suite not in HPKE_KEY_ENCRYPTION:     # only the entry we use is interpreted
                raise Reject("unsupported_algorithm")
            # cwt would try every entry carrying the kid of a key it is given; §4 says the
            # receiver uses the first one, so cwt gets the message with that entry only.
            layer = cbor2.CBORTag(96, msg[:3] + [[entry]])
        name, rec = self.recipient_keys.get(kid) or (None, None)
        if rec is None:
            raise Reject("not_for_me")
        if {**HPKE_INTEGRATED, **HPKE_KEY_ENCRYPTION}[suite] != rec["kem"]:
            raise Reject("decrypt_failed")           # the key's curve must match the suite
        key = recipient_cose_key(rec)
        plaintext = cwt_decrypt(layer, key, aad)
        if mode == "hpke-key-encryption":             # §4.1: the CEK this entry unwrapped
            try:
                cek = Recipient.from_list(entry).decode(key, alg=alg)
            except DecodeError:
                raise Reject("decrypt_failed") from None
            check_commitment(alg, cek, unprot[5], prot[COMMITMENT])
        return f, mode, name, plaintext


def run_vector(data, vec):
    """Returns "valid" (after checking what was released) or a reason code."""
    r = Receiver(data)
    if "recipient_keys" in vec:                      # this vector's receiver holds only these
        r.recipient_keys = {k: v for k, v in r.recipient_keys.items()
                            if v[0] in vec["recipient_keys"]}
    for name, seq in vec["accepted_before"]:
        r.window_for(bytes.fromhex(data["keys"][name]["kid"])).record(seq)
    r.now = vec["now"]
    try:
        f, mode, key_name, plaintext = r.receive(bytes.fromhex(vec["envelope"]), vec["topic"])
    except Reject as e:
        return e.code
    released = (plaintext.hex(), mode, key_name, f["seq"], f["iat"], f["kid"].hex())
    wanted = (vec["plaintext"], vec["mode"], vec["decrypted_with"], vec["seq"],
              vec["timestamp"], data["keys"][vec["signer"]]["kid"])
    if released != wanted:
        return "valid but released %r, vector says %r" % (released, wanted)
    return "valid"


def main():
    signed.run_file("encrypt.json", run_vector)


if __name__ == "__main__":
    main()
