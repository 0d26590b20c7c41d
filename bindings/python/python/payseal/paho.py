"""payseal over paho-mqtt 2.x: seal on publish, deliver only verified messages.

Wrap a paho ``mqtt.Client``; publish and subscribe through the wrapper, and set the
application's callbacks on it::

    import paho.mqtt.client as mqtt
    import payseal, payseal.paho

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    secure = payseal.paho.SecureClient(client, sealer=sealer, opener=opener)
    secure.on_message = lambda client, userdata, message: print(message.payload)
    secure.on_rejected = lambda client, userdata, message, error: print(error.code)
    client.connect("localhost")
    secure.subscribe("plant/#", qos=1)
    secure.publish("plant/3/temp", b"21.5", qos=1)

Receiving goes through ``payseal.Receiver``, the Rust adapters' own rules
(spec/mqtt-adapters.md): messages on topics the client did not subscribe to are refused
(``not_subscribed``); retained publishes are sealed as retained state and judged with the
retained limit only on the topics configured for it; wills are sealed as wills
(``will_set``) and judged with the will limit only from will kids; duplicates (MQTT's own
repeats) are dropped, not reported as alarms. Nothing is decided in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Union

import paho.mqtt.client as mqtt

from payseal import Opener, Receiver, Rejected, Sealer, Verified

__all__ = ["SecureClient", "VerifiedMessage"]


@dataclass(frozen=True)
class VerifiedMessage:
    """A message that passed every check, shaped like paho's ``MQTTMessage``."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    verified: Verified
    """Sender key id, sequence number, timestamp, kind, encryption."""


OnMessage = Callable[[mqtt.Client, Any, VerifiedMessage], None]
OnRejected = Callable[[mqtt.Client, Any, mqtt.MQTTMessage, Rejected], None]


class SecureClient:
    """A paho-mqtt 2.x client that seals what it publishes and opens what it receives.

    ``sealer``: a ``payseal.Sealer`` (needed to publish). ``opener``: a ``payseal.Opener``
    (needed to receive; the client takes it over), or give a ready ``receiver``.
    ``retained``, ``wills``, ``will_kids``: as ``payseal.Receiver``.
    Set ``on_message(client, userdata, VerifiedMessage)`` for verified messages and
    ``on_rejected(client, userdata, MQTTMessage, Rejected)`` for refusals; without
    ``on_rejected``, refusals are dropped.
    """

    def __init__(
        self,
        client: mqtt.Client,
        *,
        sealer: Optional[Sealer] = None,
        opener: Optional[Opener] = None,
        receiver: Optional[Receiver] = None,
        retained: Sequence[tuple[str, int]] = (),
        wills: Sequence[tuple[str, int]] = (),
        will_kids: Sequence[bytes] = (),
    ) -> None:
        if opener is not None and receiver is not None:
            raise TypeError("give opener or receiver, not both")
        if opener is not None:
            receiver = Receiver(opener, retained=retained, wills=wills, will_kids=will_kids)
        self.client = client
        self.sealer = sealer
        self.receiver = receiver
        self.on_message: Optional[OnMessage] = None
        self.on_rejected: Optional[OnRejected] = None
        client.on_message = self._deliver

    def publish(
        self,
        topic: str,
        payload: Union[bytes, bytearray, memoryview, str],
        qos: int = 0,
        retain: bool = False,
        properties: Optional[Any] = None,
    ) -> mqtt.MQTTMessageInfo:
        """Seals ``payload`` for ``topic`` (as retained state if ``retain``) and publishes
        the envelope. A ``str`` payload is sent as UTF-8, as paho does."""
        if self.sealer is None:
            raise TypeError("this SecureClient has no sealer: it cannot publish")
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        envelope = self.sealer.seal(topic, payload, kind="retained" if retain else "live")
        return self.client.publish(topic, envelope, qos=qos, retain=retain, properties=properties)

    def will_set(
        self,
        topic: str,
        payload: Union[bytes, str],
        qos: int = 0,
        retain: bool = False,
        *,
        sealer: Sealer,
    ) -> None:
        """Registers a sealed Last Will (before ``connect``). ``sealer`` should use a will
        kid of its own (``Sealer(key, kid=b"sensor-1/will")``), trusted by receivers only on
        the will topic and listed in their ``will_kids``. The will is sealed now: its age
        grows while connected, so receivers' will limit must cover the session (or call
        this again and reconnect to refresh it)."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        envelope = sealer.seal(topic, payload, kind="will")
        self.client.will_set(topic, envelope, qos=qos, retain=retain)

    def subscribe(self, topic: str, qos: int = 0, **kwargs: Any) -> tuple[int, Optional[int]]:
        """Subscribes, and accepts messages on ``topic`` from now on."""
        self._receiver().subscribe(topic, qos)
        return self.client.subscribe(topic, qos, **kwargs)

    def unsubscribe(self, topic: str, **kwargs: Any) -> tuple[int, Optional[int]]:
        """Unsubscribes, and refuses messages on ``topic`` from now on."""
        self._receiver().unsubscribe(topic)
        return self.client.unsubscribe(topic, **kwargs)

    def _receiver(self) -> Receiver:
        if self.receiver is None:
            raise TypeError("this SecureClient has no opener: it cannot receive")
        return self.receiver

    def _deliver(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        receiver = self.receiver
        if receiver is None:
            return
        try:
            # The topic as on the wire: a topic that is not UTF-8 is refused, never repaired.
            verified = receiver.receive(
                message._topic, message.payload, retain=bool(message.retain), qos=message.qos
            )
        except Rejected as error:
            if self.on_rejected is not None:
                self.on_rejected(client, userdata, message, error)
            return
        if verified is None or self.on_message is None:
            return  # a duplicate: already delivered once
        self.on_message(
            client,
            userdata,
            VerifiedMessage(
                topic=verified.topic,
                payload=verified.payload,
                qos=message.qos,
                retain=bool(message.retain),
                verified=verified,
            ),
        )
