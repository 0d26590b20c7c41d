#!/usr/bin/env python3
"""Independent payseal/1 verifier, written from spec/envelope.md alone, run over sign1.json.

Usage: check_vectors.py [path/to/sign1.json]   (default: ../sign1.json next to this script)

Division of labour (see README.md):
  * stock libraries: `cwt` decodes the COSE_Sign1 and verifies the signature over the
    Sig_structure (with our external_aad); `cryptography` is cwt's backend and parses nothing
    of ours beyond the SPKI PEM keys (through cwt.COSEKey.from_pem); `cbor2` decodes values.
  * profile logic (this file): the strict CBOR scan of spec §4.1, the structure and header
    rules of §4.2, topic names and filters, algorithm pinning, freshness and the replay window
    of §5, in exactly the order of the table in spec §5.
"""
import hashlib
import json
import os
import sys

import cbor2
from cwt import COSE, COSEKey
from cwt.exceptions import VerifyError

PROFILE = "payseal/1"
MAX_DEPTH, MAX_ITEMS = 4, 64            # §4.1 / §4.3
MAX_PROTECTED, MAX_ENTRIES, MAX_KID = 256, 16, 32
MAX_CERTS, MAX_CERT_BYTES = 4, 4096     # §4.3: the x5chain budget (0 refuses chains)
# §3.4: the algorithm of a trust-store key, and the header alg ids the verifier accepts for it.
ACCEPTED_ALGS = {"Ed25519": (-19, -8), "ESP256": (-9, -7), "ES256K": (-47,)}
SUPPORTED_ALGS = {a for ids in ACCEPTED_ALGS.values() for a in ids}
KIND_LABEL = -65540                 # §3.7: the signed message kind (1 retained, 2 will)
KIND_VALUES = (1, 2)
UNDERSTOOD_LABELS = {1, 3, 4, 6, 15, 16, 33, 34, KIND_LABEL}   # §3.5 (3: content type, encryption.md)
UNDERSTOOD_CLAIMS = {6}                    # §3.5: with 15 critical, the only claim understood (iat)


class Reject(Exception):
    """A verification failure; .code is the spec §6 reason code."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def is_int(x):
    return type(x) is int              # bool is a subclass of int in Python: exclude it


# ---------------------------------------------------------------------------------------
# §4.1 strict CBOR profile: one pass over the raw bytes, first violation wins. cbor2 would
# silently accept indefinite lengths, long-form heads, duplicate keys etc., hence this scanner.
# ---------------------------------------------------------------------------------------
def strict_scan(buf, allow_outer_tag, max_items=MAX_ITEMS):
    """Check `buf` is exactly one item obeying §4.1. Returns (tag number or None, offset of
    the tagged content). Only the root item may be a tag, and only if allow_outer_tag. Its
    *number* is judged later by §4.2 step 1: read literally, §4.1 would make a root tag 19
    `disallowed_item`, but vector invalid-flip-tag expects `wrong_tag`. max_items=None: no
    item limit (the encrypted layer of spec/encryption.md §6 is bounded by the size only)."""
    pos = 0
    items = 0

    def need(n):
        if pos + n > len(buf):
            raise Reject("invalid_cbor")                       # truncated

    def read_head():
        nonlocal pos
        need(1)
        major, ai = buf[pos] >> 5, buf[pos] & 0x1F
        pos += 1
        if ai < 24:
            arg = ai
        elif ai in (28, 29, 30):
            raise Reject("invalid_cbor")                       # reserved additional info
        elif ai == 31:
            if major in (2, 3, 4, 5):
                raise Reject("indefinite_length")
            raise Reject("invalid_cbor")  # stray break (we never open an indefinite item), or
            #                               an indefinite int/tag, which is not well-formed
        else:
            n = 1 << (ai - 24)                                 # 1, 2, 4 or 8 argument bytes
            need(n)
            arg = int.from_bytes(buf[pos:pos + n], "big")
            pos += n
            if major == 7:
                if ai == 24 and arg < 32:
                    raise Reject("invalid_cbor")               # RFC 8949 §3.3: not well-formed
                raise Reject("disallowed_item")                # float, or simple value >= 32
            if arg < (24 if n == 1 else 1 << (4 * n)):
                raise Reject("non_preferred_encoding")         # not the shortest head
        if major == 7 and arg not in (20, 21, 22):
            raise Reject("disallowed_item")                    # only false, true, null
        return major, arg

    def item(depth, is_key=False, at_root=False):
        nonlocal pos, items
        major, arg = read_head()
        items += 1                       # every head counts: map keys, and the outer tag too
        if max_items is not None and items > max_items:
            raise Reject("too_complex")
        if is_key and major not in (0, 1, 3):
            raise Reject("disallowed_item")                    # map keys: int or tstr only
        if major in (2, 3):                                    # byte / text string
            need(arg)
            if major == 3:
                try:
                    bytes(buf[pos:pos + arg]).decode("utf-8")
                except UnicodeDecodeError:
                    raise Reject("invalid_cbor") from None
            pos += arg
        elif major in (4, 5):                                  # array / map
            if depth + 1 > MAX_DEPTH:        # the outermost array/map is level 1
                raise Reject("too_complex")
            seen = set()
            for _ in range(arg):
                if major == 5:
                    start = pos
                    item(depth + 1, is_key=True)
                    # shortest-form ints and text have one encoding: equal bytes == equal key
                    if bytes(buf[start:pos]) in seen:
                        raise Reject("duplicate_label")
                    seen.add(bytes(buf[start:pos]))
                item(depth + 1)
        elif major == 6:                                       # tag
            if not (at_root and allow_outer_tag):
                raise Reject("disallowed_item")
            return arg
        return None

    tag = item(0, at_root=True)
    content_start = pos
    if tag is not None:
        item(0)                                                # the tagged content
    if pos != len(buf):
        raise Reject("trailing_bytes")
    return tag, content_start


# ---------------------------------------------------------------------------------------
# §4.2 structure and header rules (steps 1-9); §5 steps 3-4.
# ---------------------------------------------------------------------------------------
def is_signature(stamp):
    return isinstance(stamp, bytes) and len(stamp) == 64


def decode_envelope(env, max_certs=MAX_CERTS, max_cert_bytes=MAX_CERT_BYTES, root_tag=18,
                    stamp_ok=is_signature, supported=None):
    """Steps 1-10 of §4.2, for every receiver, static trust store or PKI: an x5chain's structure
    and limits are checked here whoever reads its certificates (§3.6). The defaults are a
    COSE_Sign1's; check_mac.py passes a COSE_Mac0's root tag (17), tag check and algorithms
    (spec/mac.md §3)."""
    supported = SUPPORTED_ALGS if supported is None else supported
    if not env or env[0] >> 5 != 6:
        raise Reject("not_an_envelope")         # §4.1: not even a tag head (plaintext, JSON, ...)
    tag, start = strict_scan(env, allow_outer_tag=True)
    if tag != root_tag:
        raise Reject("wrong_tag")                                          # step 1
    msg = cbor2.loads(env[start:])       # the tag head is stripped: the scan allowed no other tag
    if not (isinstance(msg, list) and len(msg) == 4):
        raise Reject("invalid_structure")                                  # step 2
    protected, unprotected, payload, signature = msg
    if not isinstance(unprotected, dict):
        raise Reject("invalid_structure")                                  # step 3
    if unprotected:
        raise Reject("invalid_header")
    if not isinstance(payload, bytes):
        raise Reject("invalid_structure")                                  # step 4
    if not stamp_ok(signature):
        raise Reject("invalid_structure")                                  # step 5
    if not isinstance(protected, bytes):
        raise Reject("invalid_structure")                                  # step 6
    budget = max_cert_bytes if max_certs and max_cert_bytes else 0   # 0 refuses chains
    if len(protected) > MAX_PROTECTED + budget:
        raise Reject("too_large")
    if not protected:
        raise Reject("invalid_header")
    strict_scan(protected, allow_outer_tag=False)
    hdr = cbor2.loads(protected)
    if not isinstance(hdr, dict):
        raise Reject("invalid_header")
    fields = check_header(hdr)                                             # step 7
    if len(fields["kid"]) > MAX_KID:
        raise Reject("too_large")                                          # step 8
    chain, cert_bytes = fields["x5chain"], 0
    if chain is not None:
        if len(chain) > max_certs:
            raise Reject("too_complex")
        cert_bytes = sum(len(c) for c in chain)
        if cert_bytes > max_cert_bytes:
            raise Reject("too_large")
    if len(protected) - cert_bytes > MAX_PROTECTED:
        raise Reject("too_large")
    if fields["alg"] not in supported:
        raise Reject("unsupported_algorithm")                              # step 9
    if fields["kind"] is not None and fields["kind"] not in KIND_VALUES:
        raise Reject("unknown_kind")                                       # step 10 (§3.7)
    fields["payload"] = payload
    return fields


def check_header(h):
    """§4.2 step 7, in its order: entry count; types/values of known parameters; forbidden
    parameters; crit labels; presence of the mandatory parameters."""
    if len(h) > MAX_ENTRIES:
        raise Reject("too_complex")
    bad = Reject("invalid_header")
    if 1 in h and not is_int(h[1]):
        raise bad                        # alg: an int in this profile (§4.2 step 7); value: step 9
    if 2 in h and not (isinstance(h[2], list) and h[2]
                       and all(is_int(l) or isinstance(l, str) for l in h[2])):
        raise bad                        # crit: non-empty array of labels
    if 4 in h and not (isinstance(h[4], bytes) and len(h[4]) >= 1):
        raise bad                        # kid: 1+ bytes (the 32-byte cap is step 8)
    if 6 in h:                           # Partial IV: 1..8 bytes, no leading zero byte
        piv = h[6]
        if not (isinstance(piv, bytes) and 1 <= len(piv) <= 8):
            raise bad
        if len(piv) > 1 and piv[0] == 0:
            raise bad
    if 15 in h:                          # CWT Claims: a map; iat (6), if there, a uint
        if not isinstance(h[15], dict):
            raise bad
        if 6 in h[15] and not (is_int(h[15][6]) and h[15][6] >= 0):
            raise bad
    if 16 in h and h[16] != PROFILE:
        raise bad                        # typ: exactly "payseal/1" (§9)
    if 3 in h and not (is_int(h[3]) and h[3] in (16, 96)):
        raise bad                        # content type: the encrypted layer's tag (encryption.md §1)
    if KIND_LABEL in h and not (is_int(h[KIND_LABEL]) and h[KIND_LABEL] >= 0):
        raise bad                        # message kind: a uint (its value: §4.2 step 10)
    if any(label in h for label in (5, 7)):
        raise bad                        # IV, countersignature: forbidden
    chain = h.get(33)
    if isinstance(chain, bytes):
        chain = [chain]                  # x5chain: one certificate, or an array of them
    if 33 in h and not (isinstance(chain, list) and chain
                        and all(isinstance(c, bytes) and c for c in chain)):
        raise bad
    x5t = h.get(34)                      # x5t: [int hashAlg (64-bit signed), 1..64-byte bstr]
    if 34 in h and not (isinstance(x5t, list) and len(x5t) == 2 and is_int(x5t[0])
                        and -2**63 <= x5t[0] < 2**63
                        and isinstance(x5t[1], bytes) and 1 <= len(x5t[1]) <= 64):
        raise bad
    if 2 in h and any(label not in UNDERSTOOD_LABELS for label in h[2]):
        raise Reject("unknown_critical_header")
    if 2 in h and 15 in h[2] and isinstance(h.get(15), dict) \
            and any(not (is_int(c) and c in UNDERSTOOD_CLAIMS) for c in h[15]):
        raise Reject("unknown_critical_header")   # critical CWT Claims: every claim understood
    if not all(label in h for label in (1, 4, 6, 15, 16)) or 6 not in h[15]:
        raise bad
    return {"alg": h[1], "kid": h[4], "seq": int.from_bytes(h[6], "big"), "iat": h[15][6],
            "content_type": h.get(3), "kind": h.get(KIND_LABEL), "x5chain": chain, "x5t": x5t}


def window_key(kid, kind, topic):
    """§5.3: the replay window of a message: the kid for live messages (no kind marker); for
    retained state and wills SHA-256 of the CBOR array ["payseal/1 window", kind, kid, topic]."""
    if kind is None:
        return kid
    return hashlib.sha256(cbor2.dumps(["payseal/1 window", kind, kid, topic])).digest()


# ---------------------------------------------------------------------------------------
# Topics (§3.3, §5), replay window (§5.3)
# ---------------------------------------------------------------------------------------
def valid_topic_name(topic):
    try:
        raw = topic.encode("utf-8")
    except UnicodeEncodeError:           # lone surrogate: not UTF-8
        return False
    return 1 <= len(raw) <= 65535 and not any(c in topic for c in ("\0", "+", "#"))


def filter_matches(flt, topic):
    """MQTT topic filter matching: '+' one level, '#' (last) the parent and all below;
    a filter starting with a wildcard never matches a topic starting with '$'."""
    if topic.startswith("$") and flt[:1] in ("+", "#"):
        return False
    f, t = flt.split("/"), topic.split("/")
    for i, level in enumerate(f):
        if level == "#":
            return True
        if i >= len(t) or (level != "+" and level != t[i]):
            return False
    return len(f) == len(t)


def check_key_window(now, not_before, not_after):
    """spec/key-management.md §3, at the end of §5 step 5: a trusted key's validity window on
    the receiver's clock, both ends inclusive, either open (None). Used by check_epochs.py
    (signature senders) and check_mac.py (MAC senders)."""
    if not_before is None and not_after is None:
        return
    if now is None:
        raise Reject("key_expired")                  # a bounded key, time unknown: fail closed
    if not_before is not None and now < not_before:
        raise Reject("key_not_yet_valid")
    if not_after is not None and now > not_after:
        raise Reject("key_expired")


class ReplayWindow:
    def __init__(self, width):
        self.width, self.top, self.accepted = width, None, set()

    def check(self, seq):                # raises, changes nothing
        if self.top is None or seq > self.top:
            return
        if self.top - seq >= self.width:
            raise Reject("below_window")
        if seq in self.accepted:
            raise Reject("replayed")

    def record(self, seq):
        self.accepted.add(seq)
        if self.top is None or seq > self.top:
            self.top = seq
        self.accepted = {s for s in self.accepted if self.top - s < self.width}


# ---------------------------------------------------------------------------------------
# §5: the verifier, steps 1-11 in order
# ---------------------------------------------------------------------------------------
class Verifier:
    decrypts = False     # check_encrypted.Receiver: decryption runs before step 11

    def __init__(self, data):
        pol = data["policy"]
        self.max_age, self.max_skew = pol["max_age"], pol["max_future_skew"]
        self.window, self.max_env = pol["window"], pol["max_envelope_bytes"]
        self.trust = {}                  # kid -> key record + allowed topic filters
        for entry in data["trust"]:
            key = data["keys"][entry["key"]]
            self.trust[bytes.fromhex(key["kid"])] = dict(key, topics=entry["topics"])
        self.windows = {}                # kid -> ReplayWindow
        self.now = None

    def window_for(self, kid):
        return self.windows.setdefault(kid, ReplayWindow(self.window))

    def after_sender(self, sender):
        """Hook at the end of §5 step 5 (spec/key-management.md §3: key validity windows)."""

    def after_topic_check(self, f, topic):
        """Hook between §5 steps 7 and 8 (spec/encryption.md §6: encryption_required)."""

    def freshness_for(self, f, topic):
        """(max_age, max_future_skew) for steps 9-10: the policy's; an MQTT receiver may
        lengthen max_age for signed retained state and wills (check_kind.py)."""
        return self.max_age, self.max_skew

    def open(self, env, topic):
        if len(env) > self.max_env:
            raise Reject("too_large")                                      # 1
        if not valid_topic_name(topic):
            raise Reject("invalid_topic")                                  # 2
        f = decode_envelope(env)                                           # 3, 4
        sender = self.trust.get(f["kid"])
        if sender is None:
            raise Reject("unknown_sender")                                 # 5
        self.after_sender(sender)        # no-op here; validity windows in check_epochs.py
        if f["alg"] not in ACCEPTED_ALGS[sender["alg"]]:
            raise Reject("algorithm_mismatch")                             # 6
        if not any(filter_matches(flt, topic) for flt in sender["topics"]):
            raise Reject("topic_not_authorized")                           # 7
        self.after_topic_check(f, topic)     # no-op here; encryption_required in check_encrypted.py
        # 8: the stock library verifies the signature. The library key is built from the
        # sender's SPKI PEM with the *header's* alg (already pinned to the key's family in 6),
        # so that -8/-7 envelopes verify under keys registered as Ed25519/ESP256. Note: cwt's
        # decode does NOT compare the header alg with the key's alg (it just runs the key's own
        # verifier), so step 6 above is the only thing enforcing algorithm pinning.
        aad = cbor2.dumps([PROFILE, topic])      # external_aad = ["payseal/1", T], §3.3
        key = COSEKey.from_pem(sender["public_spki_pem"], alg=f["alg"], kid=f["kid"])
        try:
            _, _, payload = COSE.new().decode_with_headers(env, key, external_aad=aad)
        except VerifyError:
            raise Reject("bad_signature") from None
        if payload != f["payload"]:
            raise RuntimeError("cwt returned another payload than the envelope's")
        max_age, max_skew = self.freshness_for(f, topic)
        if self.now is None or self.now - f["iat"] > max_age:
            raise Reject("stale")                                          # 9
        if f["iat"] - self.now > max_skew:
            raise Reject("from_the_future")                                # 10
        if not (self.decrypts and f["content_type"] is not None):
            self.replay_window(f, topic)                                   # 11
        return f

    def replay_window(self, f, topic):
        """Step 11, always the last check: for an encrypted envelope check_encrypted.py runs
        it after decryption (encryption.md §6), so a failed decryption leaves no trace. The
        window is the sender's, per message kind and (for retained state and wills) topic."""
        win = self.window_for(window_key(f["kid"], f["kind"], topic))
        win.check(f["seq"])
        win.record(f["seq"])


def run_vector(data, vec):
    """Returns the outcome: "valid" (after checking the released fields) or a reason code."""
    v = Verifier(data)
    for name, seq in vec["accepted_before"]:
        v.window_for(bytes.fromhex(data["keys"][name]["kid"])).record(seq)
    v.now = vec["now"]
    try:
        f = v.open(bytes.fromhex(vec["envelope"]), vec["topic"])
    except Reject as r:
        return r.code
    released = (f["payload"].hex(), f["seq"], f["iat"], f["kid"].hex())
    wanted = (vec["payload"], vec["seq"], vec["timestamp"], data["keys"][vec["signer"]]["kid"])
    if released != wanted:
        return "valid but released %r, vector says %r" % (released, wanted)
    return "valid"


def run_file(default_name, run_vector):
    """Runs every vector of a vector file (argv[1], or test-vectors/<default_name>) through
    `run_vector(data, vec)`, prints one line each, and exits 0 only if all give their expected
    outcome. The other checkers share it."""
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", default_name)
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("profile") != PROFILE:
        sys.exit("%s: profile is %r, not %r" % (path, data.get("profile"), PROFILE))
    passed = failed = 0
    for vec in data["vectors"]:
        try:
            got = run_vector(data, vec)
        except Exception as e:           # a vector that cannot be run is a failure
            got = "error: %s: %s" % (type(e).__name__, e)
        if got == vec["expected"]:
            passed += 1
            print("ok   %s: %s" % (vec["id"], got))
        else:
            failed += 1
            print("FAIL %s: expected %s, got %s" % (vec["id"], vec["expected"], got))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 and passed == len(data["vectors"]) else 1)


def main():
    run_file("sign1.json", run_vector)


if __name__ == "__main__":
    main()
