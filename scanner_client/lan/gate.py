"""The gate's side of its LAN group: the facade calls ``decide`` when the server does not
answer. The token, revocation, day and zone are checked here from this gate's own cache
(as offline); only the presence part (is this badge inside the zone?) is asked of the
group's leader, which orders it against every other gate's scans. No leader answer in
the budget: the gate decides alone and the scan is marked degraded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import Reason
from shared.schemas import ScanMode

from ..outcomes import GateSetup, GateVerdict, PresenceChange
from ..store import GateStore
from ..verdicts import OfflineValidator
from .discovery import Discovery
from .node import LanNode
from .state import LanStatus
from .wire import DeviceKey


@dataclass(frozen=True)
class LanDecision:
    verdict: GateVerdict
    presence: PresenceChange | None
    mode: ScanMode
    lan_seq: int | None
    scanned_at: dt.datetime  # the leader's time for an ordered change: the server's order


class LanGate:
    def __init__(self, store: GateStore, offline: OfflineValidator, gate: GateSetup,
                 data_dir: Path, host: str, port: int, peers: list[tuple[str, int]],
                 mdns: bool = True) -> None:
        self.store = store
        self.offline = offline
        self.key = DeviceKey.load_or_make(data_dir)
        self.node = LanNode(self.key, gate.name, host, port, peers, self._inside, self._apply)
        self.discovery = Discovery(self.node, host) if mdns else None
        self.refresh()

    @property
    def port(self) -> int:
        return self.node.port

    def refresh(self) -> None:
        """Pick up what the last sync brought: this device's id and the peers' keys."""
        device_id = self.store.get_meta("device_id")
        self.node.device_id = int(device_id) if device_id is not None else None
        self.node.trust.update(self.store.get_meta("lan_devices") or [])

    def tick(self) -> None:
        self.refresh()
        self.node.tick()

    def status(self) -> LanStatus:
        return self.node.status()

    def decide(self, scan_id: str, code: str, gate: GateSetup, now: dt.datetime,
               deadline: float) -> LanDecision:
        verdict, presence = self.offline.decide(scan_id, code, gate, now)
        if verdict.badge_id is None or not (verdict.admitted
                                            or verdict.reason is Reason.ALREADY_INSIDE):
            # Refused for what this gate's own cache knows (signature, revocation, day,
            # zone): presence plays no part, the leader is not asked.
            mode: ScanMode = "lan" if self.node.has_leader() else "degraded"
            return self._mark(LanDecision(verdict, presence, mode, None, now))
        answer = self.node.ask({
            "scan_id": scan_id, "badge": verdict.badge_id, "zone": gate.zone_slot,
            "day": self.offline.today(now).isoformat(), "dir": gate.direction.value,
            "reentry": gate.allow_reentry,
        }, deadline)
        if answer is None:
            return self._mark(LanDecision(verdict, presence, "degraded", None, now))
        verdict, presence = self.offline.decide(scan_id, code, gate, now,
                                                inside=bool(answer["inside"]))
        at = dt.datetime.fromisoformat(answer["at"]) if answer.get("at") else now
        if presence is not None:
            presence = dataclasses.replace(presence, at=at)
        return self._mark(LanDecision(verdict, presence, "lan", answer.get("seq"), at))

    @staticmethod
    def _mark(decision: LanDecision) -> LanDecision:
        verdict = decision.verdict
        verdict.mode = "lan" if decision.mode == "lan" else "offline"
        verdict.degraded = decision.mode == "degraded"
        verdict.lan_seq = decision.lan_seq
        return decision

    # --- the node's hooks into this gate's presence log --------------------------------

    def _inside(self, badge: int, zone: int, day: str) -> bool:
        return self.store.is_inside(badge, zone, dt.date.fromisoformat(day))

    def _apply(self, entries: list[dict[str, Any]]) -> None:
        self.store.apply_presence(
            PresenceChange(int(e["badge"]), int(e["zone"]), dt.date.fromisoformat(e["day"]),
                           bool(e["inside"]), dt.datetime.fromisoformat(e["at"]))
            for e in entries)
