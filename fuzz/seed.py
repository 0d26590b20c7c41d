#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from test-vectors/*.json (one file per envelope)."""
import hashlib
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent
vectors = root.parent / "test-vectors"
targets = {
    "decode_envelope": ["sign1.json", "encrypt.json"],
    "open_signed": ["sign1.json"],
    "open_encrypted": ["encrypt.json"],
    "cli_inspect": ["sign1.json", "encrypt.json"],
}
def encrypted_layer(envelope):
    """The payload bstr of a tagged COSE_Sign1 whose header has a content type, prefixed with
    the target's selector byte (0: COSE_Encrypt0, 1: COSE_Encrypt); None for other envelopes."""
    import cbor2
    try:
        sign1 = cbor2.loads(envelope).value
        header = cbor2.loads(sign1[0])
    except Exception:
        return None
    ct = header.get(3)
    if ct not in (16, 96):
        return None
    return bytes([0 if ct == 16 else 1]) + sign1[2]


for target, files in targets.items():
    out = root / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    for name in files:
        for v in json.loads((vectors / name).read_text())["vectors"]:
            data = bytes.fromhex(v["envelope"])
            if target == "open_signed":
                data = b"\x00" + data  # first byte picks the topic "sensors/1/temp"
            if target == "open_encrypted":
                data = encrypted_layer(data)
                if data is None:
                    continue
            (out / hashlib.sha256(data).hexdigest()[:16]).write_bytes(data)
    print(f"{target}: {len(list(out.iterdir()))} seeds")
keys = root / "corpus" / "key_files"
keys.mkdir(parents=True, exist_ok=True)
for name in ["sign1.json", "encrypt.json"]:
    doc = json.loads((vectors / name).read_text())
    for group in ("keys", "recipient_keys"):
        for k in doc.get(group, {}).values():
            for field in ("private_pkcs8_pem", "public_spki_pem"):
                (keys / hashlib.sha256(k[field].encode()).hexdigest()[:16]).write_text(k[field])
            cose = bytes.fromhex(k["cose_key"])
            (keys / hashlib.sha256(cose).hexdigest()[:16]).write_bytes(cose)
print(f"key_files: {len(list(keys.iterdir()))} seeds")

# Trust files: the documented example, and files with inline keys from the vectors.
configs = root / "corpus" / "trust_config"
configs.mkdir(parents=True, exist_ok=True)
doc = (root.parent / "docs" / "trust-config.md").read_text()
examples = [doc.split("```toml\n", 1)[1].split("```", 1)[0]]
sign_keys = json.loads((vectors / "sign1.json").read_text())["keys"]
recipients = json.loads((vectors / "encrypt.json").read_text()).get("recipient_keys", {})
for name, k in sign_keys.items():
    text = f"[policy]\nwindow = 256\n\n[[sender]]\nname = {json.dumps(name)}\npublic_key = \"\"\"{k['public_spki_pem']}\"\"\"\ntopics = [\"plant/+/temp\", \"a/#\"]\n"
    for r in list(recipients.values())[:1]:
        text += f"\n[decrypt]\nkeys = [\"\"\"{r['private_pkcs8_pem']}\"\"\"]\nrequire_encryption = [\"plant/#\"]\n"
        text += f"\n[[encrypt]]\ntopics = \"plant/#\"\nrecipients = [\"\"\"{r['public_spki_pem']}\"\"\"]\ncontent = \"a256gcm\"\n"
    examples.append(text)
for text in examples:
    (configs / hashlib.sha256(text.encode()).hexdigest()[:16]).write_text(text)
print(f"trust_config: {len(list(configs.iterdir()))} seeds")
