#!/usr/bin/env python3
"""Independent check of x5chain.json: envelopes whose sender carries an X.509 chain
(spec/envelope.md §3.6), opened by a PKI receiver with one trust anchor and a deny list.

Usage: check_x5chain.py [path/to/x5chain.json]   (default: ../x5chain.json next to this script)

Division of labour:
  * stock libraries: `cryptography` parses the certificates (X.509 DER), checks each one's
    signature with its issuer's key (Certificate.verify_directly_issued_by) and reads their
    validity, basic constraints, keyUsage, extended key usage and subjectAltName URIs; `cwt`
    verifies the COSE_Sign1 signature under the leaf certificate's public key; `cbor2` decodes.
  * profile logic (this file, and check_vectors.py for the strict CBOR scan and the header
    rules, including the x5chain limits of §4.2 steps 6-8): path building from the leaf
    to the anchor, the deny list, the kid = RFC 9679 kid of the leaf key rule, the mapping of
    `mqtt-topic:` URIs to topic filters, then §5 steps 6-11 as for static keys.
"""
import datetime
import hashlib
import os
import sys

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID
from cwt import COSE, COSEKey
from cwt.exceptions import VerifyError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_vectors as cv  # noqa: E402  (strict scan, header rules, topics, Reject)
from check_vectors import Reject  # noqa: E402

MAX_PATH = 6                                  # leaf + intermediates, a generous bound
TOPIC_URI = "mqtt-topic:"


def parse_deny(lines):
    """The deny list (payseal-x509 format): ({sha256 thumbprints}, {serials as unsigned ints}).

    `sha256:<64 hex>`, or `serial:<hex>` / `serial=<hex>` (as `openssl x509 -serial` prints
    it), hex in any case, colons between bytes allowed; `#` comments and blank lines skipped.
    """
    thumbprints, serials = set(), set()
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("sha256:"):
            thumbprints.add(bytes.fromhex(line[len("sha256:"):].strip()))
        elif line.startswith(("serial:", "serial=")):
            text = line[len("serial:"):].strip()
            digits = text.replace(":", "")
            if not digits or text.startswith(":") or text.endswith(":") or "::" in text \
                    or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("bad deny-list line %r" % line)
            serials.add(int(digits, 16))
        else:
            raise ValueError("bad deny-list line %r" % line)
    return thumbprints, serials


def unsigned_serial(cert):
    """The serial's DER content bytes read as an unsigned number (payseal-x509 compares
    serials so: a positive serial is its value, whatever sign byte it carries)."""
    n = cert.serial_number
    length = ((n if n >= 0 else ~n).bit_length() + 8) // 8
    return int.from_bytes(n.to_bytes(length, "big", signed=True), "big")


def check_time(cert, now):
    if now < cert.not_valid_before_utc:
        raise Reject("certificate_not_yet_valid")
    if now > cert.not_valid_after_utc:
        raise Reject("certificate_expired")


def is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def issued_by(cert, issuer):
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        raise Reject("certificate_invalid") from None
    return True


def validate(chain_der, anchor, deny, now):
    """The PKI receiver's step 5: returns the leaf certificate, or raises its reason."""
    try:
        certs = [x509.load_der_x509_certificate(c) for c in chain_der]
    except ValueError:
        raise Reject("certificate_invalid") from None
    leaf, pool = certs[0], certs[1:]
    check_time(leaf, now)
    if is_ca(leaf):
        raise Reject("certificate_invalid")
    try:                                  # EKU: absent, or lists id-kp-clientAuth
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
            raise Reject("key_usage")
    except x509.ExtensionNotFound:
        pass
    path, current = [leaf], leaf
    while not issued_by(current, anchor):
        issuer = next((c for c in pool if c.subject == current.issuer), None)
        if issuer is None or len(path) >= MAX_PATH:
            raise Reject("unknown_ca")
        check_time(issuer, now)
        if not is_ca(issuer):
            raise Reject("certificate_invalid")
        issued_by(current, issuer)
        pool.remove(issuer)
        path.append(issuer)
        current = issuer
    thumbprints, serials = deny
    for cert in path:                     # deny list: thumbprints and serial numbers
        der = cert.public_bytes(serialization.Encoding.DER)
        if hashlib.sha256(der).digest() in thumbprints or unsigned_serial(cert) in serials:
            raise Reject("certificate_revoked")
    try:
        ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise Reject("key_usage") from None
    if not ku.digital_signature:
        raise Reject("key_usage")
    return leaf


def leaf_key(leaf):
    """(algorithm family, RFC 9679 kid, SPKI PEM) of the leaf key: Ed25519 or P-256 only."""
    key = leaf.public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) \
        if isinstance(key, ed25519.Ed25519PublicKey) else None
    if raw is not None:
        family, cose = "Ed25519", {1: 1, -1: 6, -2: raw}
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        point = key.public_bytes(serialization.Encoding.X962,
                                 serialization.PublicFormat.UncompressedPoint)
        family, cose = "ESP256", {1: 2, -1: 1, -2: point[1:33], -3: point[33:]}
    else:
        raise Reject("certificate_invalid")
    kid = hashlib.sha256(cbor2.dumps(cose, canonical=True)).digest()[:8]
    pem = key.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return family, kid, pem


def topic_filters(leaf):
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [u[len(TOPIC_URI):] for u in san.get_values_for_type(x509.UniformResourceIdentifier)
            if u.startswith(TOPIC_URI)]


def open_envelope(data, vec):
    pol = data["policy"]
    env, topic, now = bytes.fromhex(vec["envelope"]), vec["topic"], vec["now"]
    if len(env) > pol["max_envelope_bytes"]:
        raise Reject("too_large")                                          # 1
    if not cv.valid_topic_name(topic):
        raise Reject("invalid_topic")                                      # 2
    budget = vec.get("limits", {})                                         # 3, 4
    f = cv.decode_envelope(env, budget.get("max_x5chain_certs", cv.MAX_CERTS),
                           budget.get("max_x5chain_bytes", cv.MAX_CERT_BYTES))
    if now is None:
        raise Reject("certificate_expired")                                # x509.md step 1
    if f["x5chain"] is None:                 # step 2: no chain registered for x5t in this file
        raise Reject("certificate_invalid" if f["x5t"] is not None else "unknown_sender")
    x5t = f["x5t"]
    if x5t is not None and x5t != [-16, hashlib.sha256(f["x5chain"][0]).digest()]:
        raise Reject("certificate_invalid")  # step 2: x5t must be SHA-256 (-16) of the leaf
    anchor = x509.load_der_x509_certificate(bytes.fromhex(data["trust_anchor"]))
    when = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    leaf = validate(f["x5chain"], anchor, parse_deny(data["deny_list"]), when)
    family, kid, pem = leaf_key(leaf)
    if kid != f["kid"]:
        raise Reject("certificate_invalid")
    if f["alg"] not in cv.ACCEPTED_ALGS[family]:
        raise Reject("algorithm_mismatch")                                 # 6
    if not any(cv.filter_matches(flt, topic) for flt in topic_filters(leaf)):
        raise Reject("topic_not_authorized")                               # 7
    aad = cbor2.dumps([cv.PROFILE, topic])
    key = COSEKey.from_pem(pem, alg=f["alg"], kid=f["kid"])
    try:                                                                   # 8
        _, _, payload = COSE.new().decode_with_headers(env, key, external_aad=aad)
    except VerifyError:
        raise Reject("bad_signature") from None
    if payload != f["payload"]:
        raise RuntimeError("cwt returned another payload than the envelope's")
    if now - f["iat"] > pol["max_age"]:
        raise Reject("stale")                                              # 9
    if f["iat"] - now > pol["max_future_skew"]:
        raise Reject("from_the_future")                                    # 10
    return f                              # 11: a fresh receiver's window accepts any seq


def run_vector(data, vec):
    try:
        f = open_envelope(data, vec)
    except Reject as r:
        return r.code
    released = (f["payload"].hex(), f["seq"], f["iat"])
    wanted = (vec["payload"], vec["seq"], vec["timestamp"])
    if released != wanted:
        return "valid but released %r, vector says %r" % (released, wanted)
    return "valid"


def main():
    cv.run_file("x5chain.json", run_vector)


if __name__ == "__main__":
    main()
