"""The LAN protocol in one process: three real nodes on loopback UDP with their own keys.
Election, ordering, a retry answered the same, replication, an unlisted signer ignored."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner_client.lan.node import LanNode
from scanner_client.lan.wire import DeviceKey
from tests.support.gate import wait_for


class Peer:
    """A node with a presence log in a dict, run by two threads as the WorkerManager would."""

    def __init__(self, tmp: Path, device_id: int, peers: list[int]) -> None:
        self.presence: dict[tuple[int, int, str], bool] = {}
        self.key = DeviceKey.load_or_make(tmp / f"n{device_id}")
        self.node = LanNode(self.key, f"gate {device_id}", "127.0.0.1", 0,
                            [("127.0.0.1", p) for p in peers], self._inside, self._apply)
        self.node.device_id = device_id
        self.stop = threading.Event()

    def _inside(self, badge: int, zone: int, day: str) -> bool:
        return self.presence.get((badge, zone, day), False)

    def _apply(self, entries: list[dict[str, Any]]) -> None:
        for e in entries:
            self.presence[(e["badge"], e["zone"], e["day"])] = e["inside"]

    def run(self) -> None:
        def receive() -> None:
            while not self.stop.is_set():
                self.node.receive_once()

        def tick() -> None:
            while not self.stop.is_set():
                self.node.tick()
                self.stop.wait(0.2)

        for target in (receive, tick):
            threading.Thread(target=target, daemon=True).start()


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[list[Peer]]:
    peers: list[Peer] = []
    for device_id in (3, 1, 2):  # started out of id order on purpose
        peers.append(Peer(tmp_path, device_id, [p.node.port for p in peers]))
    listed = [{"device_id": p.node.device_id, "name": p.node.gate_name,
               "public_key": p.key.public_b64} for p in peers]
    for p in peers:
        p.node.trust.update(listed)
        p.run()
    yield peers
    for p in peers:
        p.stop.set()
        p.node.close()


def question(badge: int, direction: str = "in", scan_id: str | None = None) -> dict[str, Any]:
    return {"scan_id": scan_id or str(uuid.uuid4()), "badge": badge, "zone": 0,
            "day": "2026-12-01", "dir": direction, "reentry": False}


def ask(peer: Peer, q: dict[str, Any]) -> dict[str, Any]:
    import time

    answer = peer.node.ask(q, time.monotonic() + 2.0)
    assert answer is not None
    return answer


def test_one_leader_orders_presence_and_every_peer_holds_the_log(trio: list[Peer]) -> None:
    for p in trio:
        wait_for(lambda p=p: p.node.status().linked == 3 and p.node.has_leader(), 10, "linking")
    leaders = {p.node.status().leader for p in trio}
    assert len(leaders) == 1
    leader = leaders.pop()
    follower = next(p for p in trio if p.node.device_id != leader)

    entry = question(7)
    first = ask(follower, entry)
    assert (first["inside"], first["seq"]) == (False, 1)
    assert ask(follower, entry) == first  # a retry with the same scan_id: the same answer
    second = ask(next(p for p in trio if p is not follower), question(7))
    assert (second["inside"], second["seq"]) == (True, None)  # already inside: nothing ordered
    out = ask(follower, question(7, "out"))
    assert (out["inside"], out["seq"]) == (True, 2)
    # Replicated before the answer: every peer's log says the badge went out.
    assert all(p.node.last_seq == 2 for p in trio)
    assert all(p.presence[(7, 0, "2026-12-01")] is False for p in trio)


def test_an_unlisted_device_is_not_heard(tmp_path: Path, trio: list[Peer]) -> None:
    stranger = Peer(tmp_path, 9, [p.node.port for p in trio])  # signs with a key not listed
    stranger.run()
    try:
        wait_for(lambda: stranger.node.sent.get("hb", 0) >= 10, 10, "the stranger's heartbeats")
        for p in trio:
            assert 9 not in p.node.peers  # dropped at the signature check, never counted
            assert p.node.status().linked == 3
    finally:
        stranger.stop.set()
        stranger.node.close()
