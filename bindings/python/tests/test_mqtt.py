"""Over a real Mosquitto the test starts: payseal.paho, and the cross-language pairs with the
Rust CLI (examples/python/sensor.py -> `payseal sub`, `payseal pub` ->
examples/python/dashboard.py)."""

import queue
import subprocess
import sys
import time

import paho.mqtt.client as mqtt
import pytest

import payseal
import payseal.paho
from conftest import REPO

EXAMPLES = REPO / "examples" / "python"


@pytest.fixture
def keys(tmp_path):
    """sensor.key/.pub, dashboard.key/.pub and a CLI trust file requiring encryption."""
    payseal.SigningKey.generate("ed25519").save(tmp_path / "sensor.key")
    payseal.RecipientKey.generate("x25519").save(tmp_path / "dashboard.key")
    (tmp_path / "trust.toml").write_text(
        '[[sender]]\nname = "sensor"\npublic_key = "sensor.pub"\ntopics = ["plant/+/temp"]\n\n'
        '[decrypt]\nkeys = ["dashboard.key"]\nrequire_encryption = ["plant/+/temp"]\n'
    )
    return tmp_path


def connected(port):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_python_sensor_to_rust_sub(mosquitto, keys, payseal_cli):
    sub = subprocess.Popen(
        [payseal_cli, "sub", "-h", "127.0.0.1", "-p", str(mosquitto), "-t", "plant/#",
         "--trust", str(keys / "trust.toml"), "-C", "2", "-W", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # let it subscribe; the sensor keeps publishing until the sub has two
    sensor = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "sensor.py"), "--key", str(keys / "sensor.key"),
         "--to", str(keys / "dashboard.pub"), "--port", str(mosquitto), "--count", "0",
         "--interval", "0.2"],
        stdout=subprocess.DEVNULL,
    )
    try:
        out, err = sub.communicate(timeout=40)
    finally:
        sensor.kill()
        sensor.wait()
    assert sub.returncode == 0, err
    readings = out.decode().split()
    assert len(readings) == 2 and all(20 <= float(r) <= 25 for r in readings)


def test_rust_pub_to_python_dashboard(mosquitto, keys, payseal_cli):
    dashboard = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "dashboard.py"), "--trust", str(keys / "trust.toml"),
         "--port", str(mosquitto), "--count", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert dashboard.stdout.readline().strip() == "subscribed"
    subprocess.run(
        [payseal_cli, "pub", "-h", "127.0.0.1", "-p", str(mosquitto), "-t", "plant/3/temp",
         "-m", "21.5", "--key", str(keys / "sensor.key"), "--to", str(keys / "dashboard.pub")],
        check=True,
    )
    out, err = dashboard.communicate(timeout=30)
    assert dashboard.returncode == 0, err
    assert out.startswith("plant/3/temp 21.5 (sender ") and "encrypted" in out


def test_secure_client_delivers_only_verified(mosquitto):
    key = payseal.SigningKey.generate()
    trust = payseal.TrustStore()
    trust.add_sender(key.public_key(), ["plant/#"])
    got, rejected = queue.Queue(), queue.Queue()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    secure = payseal.paho.SecureClient(
        client, sealer=payseal.Sealer(key), opener=payseal.Opener(trust),
        retained=[("plant/+/setpoint", 86400)],
    )
    secure.on_message = lambda c, u, m: got.put(m)
    secure.on_rejected = lambda c, u, m, e: rejected.put(e)
    subscribed = queue.Queue()
    client.on_subscribe = lambda *a: subscribed.put(True)
    client.connect("127.0.0.1", mosquitto)
    client.loop_start()
    try:
        secure.subscribe("plant/#", qos=1)
        subscribed.get(timeout=10)
        secure.publish("plant/1/temp", b"21.5", qos=1).wait_for_publish(10)
        m = got.get(timeout=10)
        assert (m.topic, m.payload, m.verified.kind) == ("plant/1/temp", b"21.5", "live")

        # A broker-side forger: plaintext, and a genuine envelope moved to another topic.
        attacker = connected(mosquitto)
        attacker.publish("plant/1/temp", b"99.9", qos=1).wait_for_publish(10)
        assert rejected.get(timeout=10).code == "not_an_envelope"
        envelope = payseal.Sealer(key).seal("plant/1/temp", b"22.0")
        attacker.publish("plant/2/temp", envelope, qos=1).wait_for_publish(10)
        assert rejected.get(timeout=10).code == "bad_signature"
        # The same envelope replayed on its own topic: the first is delivered, then refused.
        attacker.publish("plant/1/temp", envelope, qos=1).wait_for_publish(10)
        attacker.publish("plant/1/temp", envelope, qos=1).wait_for_publish(10)
        assert got.get(timeout=10).payload == b"22.0"
        time.sleep(0.5)
        assert got.empty()  # the replay was dropped as a duplicate
        attacker.loop_stop()
        attacker.disconnect()

        # Retained state: sealed as retained, judged as retained on arrival.
        secure.publish("plant/1/setpoint", b"20", qos=1, retain=True).wait_for_publish(10)
        m = got.get(timeout=10)
        assert m.verified.kind == "retained"
        assert rejected.empty()
    finally:
        client.loop_stop()
        client.disconnect()
