#!/usr/bin/env python3
"""Independent payseal/1 receiver for key lifecycle vectors, written from
spec/key-management.md alone, run over epochs.json.

Usage: check_epochs.py [path/to/epochs.json]   (default: ../epochs.json next to this script)

Division of labour: the signed layer is check_vectors.py and the encrypted layer
check_encrypted.py (both imported, stock libraries underneath); this file adds only the profile
logic of spec/key-management.md: the validity window of a sender key (§3, at the end of
envelope.md §5 step 5) and which group epoch a kid names and whether it is accepted (§2.1-2.2,
at encryption.md §6 step 7).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_encrypted as encrypted                  # noqa: E402
import check_vectors as signed                       # noqa: E402
from check_vectors import Reject                     # noqa: E402

EPOCH_LEN = 4                                        # §2.1: kid = group || uint32_be(epoch)


class Receiver(encrypted.Receiver):
    def __init__(self, data):
        signed.Verifier.__init__(self, data)
        self.windows_by_kid = {}
        for entry in data["trust"]:                  # §3: the window of each trusted key
            kid = bytes.fromhex(data["keys"][entry["key"]]["kid"])
            self.windows_by_kid[kid] = (entry.get("not_before"), entry.get("not_after"))
        self.recipient_keys, self.group_keys = {}, {}
        self.require_encryption, self.max_recipients = [], 4
        self.groups = {bytes.fromhex(g["group"]): g for g in data["groups"]}

    def after_sender(self, sender):                  # §3
        signed.check_key_window(self.now, *self.windows_by_kid[bytes.fromhex(sender["kid"])])

    def group_key(self, kid, f):                     # §2.1, §2.2
        group = self.groups.get(kid[:-EPOCH_LEN]) if len(kid) > EPOCH_LEN else None
        if group is None:
            raise Reject("not_for_me")
        epoch = int.from_bytes(kid[-EPOCH_LEN:], "big")
        held = {e["epoch"]: e for e in group["epochs"]}
        current = group["current"]
        if epoch not in held:
            raise Reject("key_expired" if epoch < current else "not_for_me")
        e = held[epoch]
        if epoch < current and (self.now is None or e["accept_until"] is None
                                or self.now > e["accept_until"]):
            raise Reject("key_expired")
        return "epoch-%d" % epoch, {"alg": group["alg"], "secret": e["secret"]}


def run_vector(data, vec):
    r = Receiver(data)
    r.now = vec["now"]
    try:
        f, mode, key_name, plaintext = r.receive(bytes.fromhex(vec["envelope"]), vec["topic"])
    except Reject as e:
        return e.code
    wanted_mode = "none" if vec["epoch"] is None else "group"
    wanted_key = None if vec["epoch"] is None else "epoch-%d" % vec["epoch"]
    released = (plaintext.hex(), mode, key_name, f["seq"], f["iat"])
    wanted = (vec["plaintext"], wanted_mode, wanted_key, vec["seq"], vec["timestamp"])
    if released != wanted:
        return "valid but released %r, vector says %r" % (released, wanted)
    return "valid"


def main():
    signed.run_file("epochs.json", run_vector)


if __name__ == "__main__":
    main()
