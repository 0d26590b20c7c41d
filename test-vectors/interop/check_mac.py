#!/usr/bin/env python3
"""Independent check of mac.json: MAC envelopes (spec/mac.md), COSE_Mac0 with HMAC 256/64 and
HMAC 256/256 under per-sender keys derived with HKDF.

Usage: check_mac.py [path/to/mac.json]   (default: ../mac.json next to this script)

The envelope checks are check_vectors.py's (strict scan, header rules, spec/envelope.md §5
steps in order), with the COSE_Mac0 root tag (17) and the MAC algorithms. This file adds only
what spec/mac.md says: sender keys derived from the secret with HKDF-SHA256 (`cryptography`),
a sender key's validity window at step 5 (spec/key-management.md §3, check_vectors.py's
check_key_window), and the tag verified by a stock COSE library (python-cwt's COSE_Mac0, which compares the tag
in constant time) over MAC_structure with the same external_aad as signatures.
"""
import os
import sys

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cwt import COSE, COSEKey, VerifyError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_vectors as cv  # noqa: E402
from check_vectors import Reject  # noqa: E402

MAC_ALGS = {4: 8, 5: 32}                 # alg -> tag length (spec/mac.md §3)


def sender_key(secret, kid, alg):
    """spec/mac.md §2: HKDF-SHA256(salt empty, IKM secret, info CBOR ["payseal/1 mac key",
    kid, alg], L 32)."""
    info = cbor2.dumps(["payseal/1 mac key", kid, alg])
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class MacVerifier(cv.Verifier):
    def __init__(self, data):
        pol = data["policy"]
        self.max_age, self.max_skew = pol["max_age"], pol["max_future_skew"]
        self.window, self.max_env = pol["window"], pol["max_envelope_bytes"]
        secret = bytes.fromhex(data["secret"])
        self.trust = {}                  # kid -> (alg, derived key, topics, validity window)
        for s in data["senders"]:
            kid = bytes.fromhex(s["kid"])
            key = sender_key(secret, kid, s["alg_id"])
            if key.hex() != s["key"]:
                raise RuntimeError("sender %s: derived key differs from the file's" % s["name"])
            if s["topics"]:
                window = (s.get("not_before"), s.get("not_after"))
                self.trust[kid] = (s["alg_id"], key, s["topics"], window)
        self.windows = {}
        self.now = None

    def open(self, env, topic):
        if len(env) > self.max_env:
            raise Reject("too_large")                                      # 1
        if not cv.valid_topic_name(topic):
            raise Reject("invalid_topic")                                  # 2
        f = cv.decode_envelope(env, root_tag=17, stamp_ok=lambda t: isinstance(t, bytes),
                               supported=MAC_ALGS)                         # 3, 4
        sender = self.trust.get(f["kid"])
        if sender is None:
            raise Reject("unknown_sender")                                 # 5
        alg, key, topics, window = sender
        cv.check_key_window(self.now, *window)                             # 5: key-management.md §3
        if f["alg"] != alg:
            raise Reject("algorithm_mismatch")                             # 6
        if not any(cv.filter_matches(flt, topic) for flt in topics):
            raise Reject("topic_not_authorized")                           # 7
        aad = cbor2.dumps([cv.PROFILE, topic])                             # envelope.md §3.3
        cose_key = COSEKey.from_symmetric_key(key, alg=alg, kid=f["kid"])
        try:                                                               # 8
            payload = COSE.new().decode(env, cose_key, external_aad=aad)
        except VerifyError:
            raise Reject("bad_signature") from None
        if payload != f["payload"]:
            raise RuntimeError("cwt returned another payload than the envelope's")
        if self.now is None or self.now - f["iat"] > self.max_age:
            raise Reject("stale")                                          # 9
        if f["iat"] - self.now > self.max_skew:
            raise Reject("from_the_future")                                # 10
        self.replay_window(f, topic)                                       # 11
        return f


def run_vector(data, vec):
    v = MacVerifier(data)
    kids = {s["name"]: bytes.fromhex(s["kid"]) for s in data["senders"]}
    for name, seq in vec["accepted_before"]:
        v.window_for(kids[name]).record(seq)
    v.now = vec["now"]
    try:
        f = v.open(bytes.fromhex(vec["envelope"]), vec["topic"])
    except Reject as r:
        return r.code
    released = (f["payload"].hex(), f["seq"], f["iat"], f["kid"])
    wanted = (vec["payload"], vec["seq"], vec["timestamp"], kids[vec["stamper"]])
    if released != wanted:
        return "valid but released %r, vector says %r" % (released, wanted)
    return "valid"


if __name__ == "__main__":
    cv.run_file("mac.json", run_vector)
