#!/usr/bin/env python3
"""A payseal/1 peer in Python over a real MQTT broker: stock python paho-mqtt for MQTT, the
independent verifier of check_vectors.py / check_encrypted.py (imported, written from spec/
alone) for receiving, and cwt for sealing, following spec/envelope.md.

  mqtt_peer.py subscribe --config C.json --port P --filter F --count N [--mqtt 5]
      prints "ready" once subscribed, then one JSON line per message received:
      {"topic", "ok": true, "payload" (hex), "seq", "kid", "mode"} or {"topic", "ok": false,
      "reason"}; exits 0 after N messages, 1 after 30 s without them.
  mqtt_peer.py publish --config C.json --port P --key NAME [--mqtt 5]
      seals every entry of the config's "publish" list with key NAME and publishes it at QoS 1:
      {"topic": published on, "sealed_for": topic in the signature, "payload": hex, "seq"};
      prints one JSON line per publish.

The config uses the key schema of the vector files (spec/envelope.md §8, spec/encryption.md):
"keys", "recipient_keys", "group_keys", "trust", "policy", "receiver".
"""
import argparse
import json
import os
import sys
import threading
import time

import cbor2
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from cwt import COSE, COSEKey

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_encrypted as encrypted                  # noqa: E402  (signed + encrypted layers)
from check_vectors import PROFILE, Reject            # noqa: E402

CONTENT_TYPE = 'application/cose; cose-type="cose-sign1"'
ALG_IDS = {"Ed25519": -19, "ESP256": -9, "ES256K": -47}    # spec/envelope.md §3.4
TIMEOUT = 30


def client(args, name):
    protocol = mqtt.MQTTv5 if args.mqtt == "5" else mqtt.MQTTv311
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, protocol=protocol)
    return c


def seal(key, topic, payload, seq, iat):
    """spec/envelope.md §3: the five protected parameters in order, external_aad of §3.3."""
    kid = bytes.fromhex(key["kid"])
    alg = ALG_IDS[key["alg"]]
    cose_key = COSEKey.from_pem(key["private_pkcs8_pem"], alg=alg, kid=kid)
    partial_iv = seq.to_bytes(max(1, (seq.bit_length() + 7) // 8), "big")
    protected = {1: alg, 4: kid, 6: partial_iv, 15: {6: iat}, 16: PROFILE}
    aad = cbor2.dumps([PROFILE, topic])
    return COSE.new().encode_and_sign(payload, cose_key, protected=protected, unprotected={},
                                      external_aad=aad)


def subscribe(args, cfg):
    receiver = encrypted.Receiver(cfg)
    done = threading.Event()
    seen = []

    def on_subscribe(c, userdata, mid, reason_codes, properties):
        print("ready", flush=True)

    def on_message(c, userdata, msg):
        receiver.now = int(time.time())
        try:
            f, mode, _key, plaintext = receiver.receive(msg.payload, msg.topic)
            out = {"topic": msg.topic, "ok": True, "payload": plaintext.hex(), "seq": f["seq"],
                   "kid": f["kid"].hex(), "mode": mode}
        except Reject as r:
            out = {"topic": msg.topic, "ok": False, "reason": r.code}
        print(json.dumps(out), flush=True)
        seen.append(out)
        if len(seen) >= args.count:
            done.set()

    c = client(args, "python-sub")
    c.on_subscribe = on_subscribe
    c.on_message = on_message
    c.on_connect = lambda c, u, flags, rc, props: c.subscribe(args.filter, qos=1)
    c.connect("127.0.0.1", args.port, keepalive=30)
    c.loop_start()
    ok = done.wait(TIMEOUT)
    c.loop_stop()
    if not ok:
        print("timeout: %d of %d messages" % (len(seen), args.count), file=sys.stderr)
        sys.exit(1)


def publish(args, cfg):
    key = cfg["keys"][args.key]
    c = client(args, "python-pub")
    c.connect("127.0.0.1", args.port, keepalive=30)
    c.loop_start()
    props = None
    if args.mqtt == "5":
        props = Properties(PacketTypes.PUBLISH)
        props.PayloadFormatIndicator = 0
        props.ContentType = CONTENT_TYPE
    for entry in cfg["publish"]:
        envelope = seal(key, entry["sealed_for"], bytes.fromhex(entry["payload"]), entry["seq"],
                        int(time.time()))
        info = c.publish(entry["topic"], envelope, qos=1, properties=props)
        info.wait_for_publish(TIMEOUT)
        if not info.is_published():
            print("not published: %r" % entry, file=sys.stderr)
            sys.exit(1)
        print(json.dumps(dict(entry, envelope=envelope.hex())), flush=True)
    c.disconnect()
    c.loop_stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["subscribe", "publish"])
    p.add_argument("--config", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mqtt", choices=["3", "5"], default="3")
    p.add_argument("--filter", default="#")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--key")
    args = p.parse_args()
    with open(args.config, encoding="utf-8") as fh:
        cfg = json.load(fh)
    if args.mode == "subscribe":
        subscribe(args, cfg)
    else:
        publish(args, cfg)


if __name__ == "__main__":
    main()
