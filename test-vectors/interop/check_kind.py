#!/usr/bin/env python3
"""Independent check of kind.json: the signed message kind (spec/envelope.md §3.7) as an MQTT
receiver judges it (spec/mqtt-adapters.md §3-4).

Usage: check_kind.py [path/to/kind.json]   (default: ../kind.json next to this script)

The envelope checks are check_vectors.py's (strict scan, header rules, signature with `cwt`,
steps of spec §5 in order). This file adds only the receiver's rules, written from the spec:
  * retained limit: signed kind 1, delivered with retain=1, topic matching a retained filter;
  * will limit: signed kind 2, from a configured will kid, topic matching a will filter;
  * anything else the policy's max age; the policy's future skew always;
  * replay windows per check_vectors.window_key (own windows for retained state and wills).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_vectors as cv  # noqa: E402
from check_vectors import Reject  # noqa: E402

KINDS = {"live": None, "retained": 1, "will": 2}


class MqttReceiver(cv.Verifier):
    def __init__(self, data, retain):
        super().__init__(data)
        self.trust = {}                  # kid -> key record + topics (a key may have two kids)
        for entry in data["trust"]:
            key = data["keys"][entry["key"]]
            self.trust[bytes.fromhex(entry["kid"])] = dict(key, topics=entry["topics"])
        rec = data["receiver"]
        self.retained, self.wills = rec["retained"], rec["wills"]
        self.will_kids = {bytes.fromhex(k) for k in rec["will_kids"]}
        self.retain = retain

    def freshness_for(self, f, topic):
        limits = []
        if f["kind"] == 1 and self.retain:
            limits = self.retained
        elif f["kind"] == 2 and f["kid"] in self.will_kids:
            limits = self.wills
        for limit in limits:                     # the first matching filter wins
            if cv.filter_matches(limit["filter"], topic):
                return limit["max_age"], self.max_skew
        return self.max_age, self.max_skew


def run_vector(data, vec):
    r = MqttReceiver(data, vec["retain"])
    for a in vec["accepted_before"]:
        key = cv.window_key(bytes.fromhex(a["kid"]), KINDS[a["kind"]], a["topic"])
        r.window_for(key).record(a["seq"])
    r.now = vec["now"]
    try:
        f = r.open(bytes.fromhex(vec["envelope"]), vec["topic"])
    except Reject as e:
        return e.code
    window = cv.window_key(f["kid"], f["kind"], vec["topic"]).hex()
    released = (f["payload"].hex(), f["seq"], f["iat"], f["kid"].hex(), f["kind"], window)
    wanted = (vec["payload"], vec["seq"], vec["timestamp"], vec["kid"], KINDS[vec["kind"]],
              vec["window"])
    if released != wanted:
        return "valid but released %r, vector says %r" % (released, wanted)
    return "valid"


if __name__ == "__main__":
    cv.run_file("kind.json", run_vector)
