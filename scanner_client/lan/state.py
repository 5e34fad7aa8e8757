"""The LAN group's timing and the records a node keeps: what it knows of each peer, a
presence change waiting for its acks, and the status the screen shows (node.py runs
the protocol)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

HEARTBEAT_S = 0.2
LEASE_S = 1.0
ACK_WAIT_S = 0.1  # longest a leader waits for a peer's ack before it stops counting it
RESEND_S = 0.05
CATCH_UP = 150  # entries per catch-up datagram (well under MAX_DATAGRAM)
KEEP_ANSWERS = 20_000
KEEP_LOG = 50_000

Addr = tuple[str, int]


@dataclass
class PeerView:
    addr: Addr
    heard: float  # monotonic time of the last valid message
    term: int = 0
    leader: int | None = None
    last_seq: int = 0
    gate: str = ""


@dataclass
class Pending:
    answer: dict[str, Any]
    waiting: set[int]
    deadline: float
    reply_to: Addr | None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class LanStatus:
    """What the screen and the headless status line show."""

    device_id: int | None
    leader: int | None
    leader_gate: str | None
    term: int
    linked: int  # gates in the group that this gate hears, itself included

    def as_json(self) -> dict[str, Any]:
        return {"device": self.device_id, "leader": self.leader, "leader_gate": self.leader_gate,
                "term": self.term, "linked": self.linked}
