#!/usr/bin/env python3
"""Writes test-vectors/COVERAGE.md: every reason code of the profile, the spec section that
decides it, and the vectors that exercise it. With --check, fails if the file is stale, if
spec/envelope.md §6 names a code this table does not, if a vector expects a code the table
does not know, or if a code that can be pinned by a vector has none.

Standard library only; reads the spec and the vector files, never our Rust code."""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-vectors" / "COVERAGE.md"
FILES = ("sign1.json", "encrypt.json", "x5chain.json", "kind.json", "mac.json", "epochs.json")

# In check order. The section that decides each code; None as the third item: no vector can
# pin it (it describes the receiver's situation, not the envelope).
CODES = [
    ("valid", "envelope.md §5 (every step passes, 10a included)", True),
    ("too_large", "envelope.md §4.3 limits: §5 step 1 (envelope), step 3.3 (§4.2 step 6, protected header), step 4 (§4.2 step 8, kid, certificates)", True),
    ("invalid_topic", "envelope.md §3.3, §5 step 2", True),
    ("not_an_envelope", "envelope.md §5 step 3.1 (§4.1, first byte)", True),
    ("invalid_cbor", "envelope.md §5 step 3.2 (§4.1)", True),
    ("trailing_bytes", "envelope.md §5 step 3.2 (§4.1)", True),
    ("indefinite_length", "envelope.md §5 step 3.2 (§4.1)", True),
    ("non_preferred_encoding", "envelope.md §5 step 3.2 (§4.1)", True),
    ("disallowed_item", "envelope.md §5 steps 3.2-3.3 (§4.1: tags, floats, simple values; a tag inside a protected header)", True),
    ("duplicate_label", "envelope.md §5 step 3.2 (§4.1)", True),
    ("too_complex", "envelope.md §5 step 3.2 (§4.1: items, depth), step 3.3 (§4.2 step 7: entries), step 4 (§4.2 step 8: certificates)", True),
    ("wrong_tag", "envelope.md §5 step 3.3 (§4.2 step 1)", True),
    ("invalid_structure", "envelope.md §5 step 3.3 (§4.2 steps 2-6), step 10a (encryption.md §6 steps 2-3)", True),
    ("invalid_header", "envelope.md §5 step 3.3 (§4.2 steps 3, 6, 7; §3.6, §3.7), step 10a (encryption.md §6 steps 5.1-5.6)", True),
    ("unknown_critical_header", "envelope.md §5 step 3.3 (§4.2 step 7, §3.5)", True),
    ("unsupported_algorithm", "envelope.md §5 step 4 (§4.2 step 9; §3.4, §4.1 integers), step 10a (encryption.md §6 steps 5.4, 6, 8)", True),
    ("unknown_kind", "envelope.md §5 step 4 (§4.2 step 10, §3.7)", True),
    ("unknown_sender", "envelope.md §5 step 5 (static store; PKI: x509.md step 2)", True),
    ("key_not_yet_valid", "envelope.md §5 step 5: key-management.md §3 (a sender key's not_before)", True),
    ("key_expired", "envelope.md §5 step 5: key-management.md §3 (a sender key's not_after); step 10a: encryption.md §6 step 7, key-management.md §2.2 (a group epoch past its grace)", True),
    ("certificate_invalid", "envelope.md §5 step 5: x509.md steps 2-5, 8-10", True),
    ("certificate_expired", "envelope.md §5 step 5: x509.md steps 1, 3-4", True),
    ("certificate_not_yet_valid", "envelope.md §5 step 5: x509.md steps 3-4", True),
    ("unknown_ca", "envelope.md §5 step 5: x509.md step 4", True),
    ("certificate_revoked", "envelope.md §5 step 5: x509.md steps 5 (CRL), 6 (deny list)", True),
    ("key_usage", "envelope.md §5 step 5: x509.md steps 3-4 (extended key usage), 7 (keyUsage)", True),
    ("algorithm_mismatch", "envelope.md §3.4, §5 step 6", True),
    ("topic_not_authorized", "envelope.md §5 step 7", True),
    ("encryption_required", "envelope.md §5 step 7a (encryption.md §6)", True),
    ("bad_signature", "envelope.md §5 step 8", True),
    ("stale", "envelope.md §5 step 9, §5.1 (which max_age)", True),
    ("from_the_future", "envelope.md §5 step 10, §5.1", True),
    ("too_many_recipients", "envelope.md §5 step 10a: encryption.md §6 step 4", True),
    ("not_for_me", "envelope.md §5 step 10a: encryption.md §6 step 7", True),
    ("decrypt_failed", "envelope.md §5 step 10a: encryption.md §6 step 9", True),
    ("key_commitment_mismatch", "envelope.md §5 step 10a: encryption.md §6 step 10, §4.1", True),
    ("replayed", "envelope.md §5 step 11, §5.3 (which window)", True),
    ("below_window", "envelope.md §5 step 11, §5.3", True),
    ("store_unavailable", "replay-stores.md (a durable or shared store cannot be reached)", False),
    ("not_subscribed", "mqtt-adapters.md §1 (before step 1: about the delivery)", False),
]


def spec_codes():
    """The backticked codes of spec/envelope.md §6."""
    text = (ROOT / "spec" / "envelope.md").read_text()
    section = text[text.index("## 6. Reason codes"):text.index("## 7.")]
    return set(re.findall(r"`([a-z_]+)`", section))


def vectors_by_code():
    found = {}
    for name in FILES:
        data = json.loads((ROOT / "test-vectors" / name).read_text())
        for vector in data["vectors"]:
            found.setdefault(vector["expected"], []).append(f"{name}: `{vector['id']}`")
    return found


def render(found):
    lines = [
        "# Reason-code coverage",
        "",
        "Generated by `test-vectors/interop/coverage.py` from the vector files and",
        "`spec/envelope.md` §6; `.ci/run` fails when it is stale. Codes in the order of the",
        "one normative check order, `spec/envelope.md` §5 (\"Receiving, step by step\"); the",
        "second column names the step of that list, and the section holding its rule.",
        "",
        "| code | decided by | vectors |",
        "|---|---|---|",
    ]
    for code, section, pinnable in CODES:
        ids = found.get(code, [])
        shown = f"{len(ids)}: " + ", ".join(ids) if ids else "none (no envelope can pin it)"
        lines.append(f"| `{code}` | {section} | {shown} |")
    return "\n".join(lines) + "\n"


def main():
    found = vectors_by_code()
    known = {code for code, _, _ in CODES}
    problems = []
    problems += [f"spec §6 names `{c}`, missing here" for c in sorted(spec_codes() - known)]
    problems += [f"a vector expects `{c}`, unknown here" for c in sorted(set(found) - known)]
    problems += [f"no vector pins `{c}`" for c, _, pin in CODES if pin and c not in found]
    text = render(found)
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            problems.append(f"{OUT.relative_to(ROOT)} is stale: run {Path(__file__).name}")
    else:
        OUT.write_text(text)
    for p in problems:
        print(p)
    total = sum(len(v) for v in found.values())
    print(f"{len(CODES)} codes, {total} vectors: {'FAILED' if problems else 'ok'}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
