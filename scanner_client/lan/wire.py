"""What crosses the LAN between gates: small JSON datagrams, each signed with the
sending device's own Ed25519 key and checked against the keys the server lists for the
event's active gate devices (the sync feed). Nothing personal is ever in a message:
badge ids, zone slots, days, times, scan ids, sequence numbers and terms.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAX_DATAGRAM = 60_000  # one UDP datagram; catch-up messages are cut to fit
KEY_FILE = "lan_key"


class DeviceKey:
    """This gate device's LAN key pair, made once (at enrolment or the first LAN start)
    and kept in the data dir, readable by this user only."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public_b64 = base64.b64encode(private.public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw)).decode()

    @classmethod
    def load_or_make(cls, data_dir: Path) -> DeviceKey:
        path = data_dir / KEY_FILE
        if path.exists():
            return cls(Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_text())))
        data_dir.mkdir(parents=True, exist_ok=True)
        private = Ed25519PrivateKey.generate()
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        # Created 0600 from the start: the key is never readable by others, not even briefly.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(base64.b64encode(raw).decode())
        return cls(private)

    def sign(self, device_id: int, body: dict[str, Any]) -> bytes:
        text = json.dumps(body, separators=(",", ":"))
        sig = base64.b64encode(self._private.sign(text.encode())).decode()
        return json.dumps({"d": device_id, "b": text, "s": sig}, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Peer:
    device_id: int
    name: str
    key: Ed25519PublicKey


class Trust:
    """The devices this gate listens to, replaced at each sync: a device revoked on the
    server drops out of the list, and its messages are ignored from then on."""

    def __init__(self) -> None:
        self._peers: dict[int, Peer] = {}
        self._source: object = None

    def update(self, devices: list[dict[str, Any]]) -> None:
        source = tuple((d["device_id"], d["public_key"]) for d in devices)
        if source == self._source:
            return
        peers = {}
        for d in devices:
            try:
                key = Ed25519PublicKey.from_public_bytes(base64.b64decode(d["public_key"]))
            except ValueError:
                continue  # a malformed key listed by mistake: that device is not heard
            peers[int(d["device_id"])] = Peer(int(d["device_id"]), str(d["name"]), key)
        self._peers, self._source = peers, source

    def name(self, device_id: int) -> str | None:
        peer = self._peers.get(device_id)
        return peer.name if peer else None

    def known(self, device_id: int) -> bool:
        return device_id in self._peers

    def open(self, data: bytes) -> tuple[int, dict[str, Any]] | None:
        """(sender, body) of a correctly signed message from a listed device, else None."""
        try:
            outer = json.loads(data)
            sender = int(outer["d"])
            peer = self._peers.get(sender)
            if peer is None:
                return None
            peer.key.verify(base64.b64decode(outer["s"]), outer["b"].encode())
            body = json.loads(outer["b"])
        except (ValueError, KeyError, TypeError, InvalidSignature):
            return None
        return (sender, body) if isinstance(body, dict) else None
