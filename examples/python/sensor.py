#!/usr/bin/env python3
"""A sensor publishing temperature readings, sealed with payseal, over paho-mqtt 2.x.

The tutorial scheme this replaces put a text timestamp, the payload and a hex ECDSA
signature in each message; here every reading is a payseal envelope: signed, bound to its
topic, numbered and timestamped, checked by the Rust core.

    python sensor.py --key sensor.key [--to dashboard.pub] [--host localhost] [--port 1883]
                     [--topic plant/3/temp] [--count 5] [--interval 1]

Its readings open with `dashboard.py` or with the Rust CLI:
    payseal sub -t 'plant/#' --trust trust.toml -v
"""

import argparse
import random
import time

import paho.mqtt.client as mqtt

import payseal
import payseal.paho


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", required=True, help="the sensor's private key (PEM)")
    parser.add_argument("--to", action="append", default=[], help="encrypt to this public key")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--topic", default="plant/3/temp")
    parser.add_argument("--count", type=int, default=5, help="readings to publish (0: forever)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between readings")
    parser.add_argument("--state", help="sequence file, so numbers survive restarts")
    args = parser.parse_args()

    key = payseal.SigningKey.load(args.key)
    recipients = [payseal.RecipientPublicKey.load(p) for p in args.to]
    sealer = payseal.Sealer(
        key, encrypt_to={"#": recipients} if recipients else None, state=args.state
    )

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    secure = payseal.paho.SecureClient(client, sealer=sealer)
    client.connect(args.host, args.port)
    client.loop_start()
    sent = 0
    while args.count == 0 or sent < args.count:
        reading = f"{20 + random.random() * 5:.1f}"
        secure.publish(args.topic, reading, qos=1).wait_for_publish(timeout=10)
        print(f"published {reading} on {args.topic}", flush=True)
        sent += 1
        time.sleep(args.interval)
    client.loop_stop()
    client.disconnect()


if __name__ == "__main__":
    main()
