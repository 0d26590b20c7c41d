#!/usr/bin/env python3
"""A dashboard displaying verified readings: payseal over paho-mqtt 2.x.

Only messages that pass every check reach `show`; forged, tampered, replayed, moved or
stale ones go to `alarm` with their reason code. The trust file is the CLI's
(docs/trust-config.md).

    python dashboard.py --trust trust.toml [--topic 'plant/#'] [--host localhost]
                        [--port 1883] [--count N] [--state DIR]

It opens readings from `sensor.py` or from the Rust CLI:
    payseal pub -t plant/3/temp -m 21.5 --key sensor.key
"""

import argparse
import threading

import paho.mqtt.client as mqtt

import payseal
import payseal.paho


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trust", required=True, help="trust file (TOML)")
    parser.add_argument("--topic", default="plant/#")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--count", type=int, default=0, help="exit after N readings (0: never)")
    parser.add_argument("--state", help="directory for replay windows that survive restarts")
    args = parser.parse_args()

    opener = payseal.Opener.from_trust_file(args.trust, state=args.state)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    secure = payseal.paho.SecureClient(client, opener=opener)
    done = threading.Event()
    shown = 0

    def show(client, userdata, message):
        nonlocal shown
        v = message.verified
        print(f"{message.topic} {message.payload.decode(errors='replace')} "
              f"(sender {v.sender.hex()}, seq {v.seq}"
              f"{', encrypted' if v.encryption else ''})", flush=True)
        shown += 1
        if args.count and shown >= args.count:
            done.set()

    def alarm(client, userdata, message, error):
        level = "ALARM" if error.is_alarm else "ignored"
        print(f"{level}: {error.code} on {message.topic!r}", flush=True)

    def subscribe(client, userdata, flags, reason_code, properties):
        secure.subscribe(args.topic, qos=1)

    def subscribed(client, userdata, mid, reason_codes, properties):
        print("subscribed", flush=True)

    secure.on_message = show
    secure.on_rejected = alarm
    client.on_connect = subscribe
    client.on_subscribe = subscribed
    client.connect(args.host, args.port)
    client.loop_start()
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    client.loop_stop()
    client.disconnect()


if __name__ == "__main__":
    main()
