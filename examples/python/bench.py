#!/usr/bin/env python3
"""Python-side cost of payseal against what Python users do today, side by side, one run.

  * payseal: seal / open of a 256 B Ed25519 envelope (the Rust core through PyO3; open
    includes every check: structure, sender, topic, signature, freshness, replay window);
  * python-cwt: COSE_Sign1 sign / verify (Ed25519, same payload);
  * the tutorial's scheme with python-ecdsa: `<unix seconds>|<payload>|<hex signature>`,
    secp256k1, checked against the last timestamp seen (no topic binding, no sender
    authorization).

Prints a Markdown table (microseconds per operation, ratios) for BENCHMARKS.md.
    python bench.py [--seconds 1.0]
Needs: pip install ./bindings/python cwt ecdsa
"""

import argparse
import os
import platform
import time

import ecdsa
from cwt import COSE, COSEKey

import payseal

PAYLOAD = os.urandom(256)
TOPIC = "plant/3/temp"


def per_op(fn, seconds, limit=None):
    """Mean microseconds per call of fn(i), i counting up from 0 through a short warm-up
    and then about `seconds` of calls (or until i reaches `limit`); also the call count."""
    i = 0
    for _ in range(50):
        fn(i)
        i += 1
    n, start = 0, time.perf_counter()
    while (limit is None or i + 100 <= limit) and (n == 0 or time.perf_counter() - start < seconds):
        for _ in range(100):
            fn(i)
            i += 1
            n += 1
    return (time.perf_counter() - start) / n * 1e6, i


def bench_payseal(seconds):
    key = payseal.SigningKey.generate("ed25519")
    trust = payseal.TrustStore()
    trust.add_sender(key.public_key(), ["plant/#"])
    sealer = payseal.Sealer(key)
    seal_us, n = per_op(lambda i: sealer.seal(TOPIC, PAYLOAD), seconds)
    # Fresh envelopes for every open (a replayed one is refused before its signature).
    envelopes = [sealer.seal(TOPIC, PAYLOAD) for _ in range(n)]
    opener = payseal.Opener(trust)
    open_us, _ = per_op(lambda i: opener.open(TOPIC, envelopes[i]), seconds, limit=n)
    return seal_us, open_us, len(envelopes[0])


def bench_cwt(seconds):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization

    raw = Ed25519PrivateKey.generate()
    pem = raw.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pub = raw.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sign_key = COSEKey.from_pem(pem, alg="EdDSA", kid="sensor")
    verify_key = COSEKey.from_pem(pub, alg="EdDSA", kid="sensor")
    ctx = COSE.new(alg_auto_inclusion=True, kid_auto_inclusion=True)
    sign_us, _ = per_op(lambda i: ctx.encode_and_sign(PAYLOAD, sign_key), seconds)
    message = ctx.encode_and_sign(PAYLOAD, sign_key)
    assert ctx.decode(message, verify_key) == PAYLOAD
    verify_us, _ = per_op(lambda i: ctx.decode(message, verify_key), seconds)
    return sign_us, verify_us, len(message)


def bench_naive(seconds):
    sk = ecdsa.SigningKey.generate(curve=ecdsa.SECP256k1)
    vk = sk.get_verifying_key()
    last = {"ts": 0}

    def seal(i):
        body = b"%d|" % (1_700_000_000 + i) + PAYLOAD
        return body + b"|" + sk.sign(body).hex().encode()

    def open_(message):
        body, _, sig = message.rpartition(b"|")
        if not vk.verify(bytes.fromhex(sig.decode()), body):
            raise ValueError("bad signature")
        ts = int(body.split(b"|", 1)[0])
        if ts <= last["ts"]:
            raise ValueError("replayed")
        last["ts"] = ts
        return body.split(b"|", 1)[1]

    seal_us, n = per_op(seal, seconds)
    messages = [seal(i) for i in range(n)]
    open_us, _ = per_op(lambda i: open_(messages[i]), seconds, limit=n)
    assert open_(seal(10**9)) == PAYLOAD
    return seal_us, open_us, len(seal(0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    p_seal, p_open, p_size = bench_payseal(args.seconds)
    c_seal, c_open, c_size = bench_cwt(args.seconds)
    n_seal, n_open, n_size = bench_naive(args.seconds)
    print(f"Python {platform.python_version()}, {platform.machine()}, payload 256 B, one run")
    print()
    print("| scheme | seal µs | open µs | bytes | payseal open faster by | payseal seal faster by |")
    print("|---|---|---|---|---|---|")
    print(f"| payseal (Ed25519, Rust core via PyO3) | {p_seal:.1f} | {p_open:.1f} | {p_size} | 1.0x | 1.0x |")
    print(f"| python-cwt COSE_Sign1 (Ed25519) | {c_seal:.1f} | {c_open:.1f} | {c_size} | {c_open / p_open:.1f}x | {c_seal / p_seal:.1f}x |")
    print(f"| python-ecdsa naive (secp256k1, ts prefix, hex sig) | {n_seal:.1f} | {n_open:.1f} | {n_size} | {n_open / p_open:.1f}x | {n_seal / p_seal:.1f}x |")


if __name__ == "__main__":
    main()
