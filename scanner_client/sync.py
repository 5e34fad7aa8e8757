"""The sync engine: no threads of its own, one ``run_once`` a worker calls when it is due.

Uploads go before downloads: the outbox holds scans people already walked through on,
while a download only refreshes the cache, so a short window of link is spent where it
matters. Batches are idempotent by ``scan_id``, so a batch whose answer was lost is
simply sent again.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from shared.schemas import BadgeRecord, GateOut, ZoneOut

from .errors import ScannerError, UnknownGate
from .store import GateStore
from .transport import DeadlineClient, HttpStatusError
from .verdicts import GateSetup

UPLOAD_BATCH = 200  # small enough that one batch answers in well under request_s
PAGE = 5000


@dataclass
class SyncReport:
    uploaded: int = 0
    pulled: int = 0
    bytes: int = 0
    clock_warning: bool | None = None


class SyncEngine:
    def __init__(self, client: DeadlineClient, store: GateStore, *, request_s: float = 8.0) -> None:
        self.client = client
        self.store = store
        self.request_s = request_s
        self.failures = 0
        self.next_due = 0.0  # time.monotonic() of the next attempt
        self.last_error: ScannerError | None = None
        # The engine owns no threads, but the sync worker and the exit flush may both call
        # it: one upload at a time, or both would send (harmlessly, wastefully) the same rows.
        self._upload_lock = threading.Lock()

    # --- setup ------------------------------------------------------------------------

    def enrol(self, gate: str, timeout_s: float) -> GateSetup:
        """Find the gate (by id or name) and its zone; cached so a later start works offline."""
        gates = self.client.request("GET", "/api/v1/gates", timeout_s=timeout_s).body["gates"]
        zones = self.client.request("GET", "/api/v1/zones", timeout_s=timeout_s).body["zones"]
        match = [GateOut(**g) for g in gates if gate in (g["name"], str(g["id"]))]
        if not match:
            names = ", ".join(g["name"] for g in gates)
            raise UnknownGate("Unknown gate", f"{gate!r} is not one of: {names}")
        found = match[0]
        zone = next(ZoneOut(**z) for z in zones if z["id"] == found.zone_id)
        setup = GateSetup(found.name, found.zone, found.zone_slot, found.direction, zone.allow_reentry)
        self.store.set_meta("gate", {**setup.as_json(), "requested": gate})
        return setup

    # --- the cycle -----------------------------------------------------------------------

    def link_back(self) -> None:
        """The probe saw the server again: forget the back-off and sync at once."""
        self.failures = 0
        self.next_due = 0.0

    def due(self, now: float | None = None) -> bool:
        return (now if now is not None else time.monotonic()) >= self.next_due

    def run_once(self, *, deadline: float | None = None, pull: bool = True) -> SyncReport:
        """Upload everything queued, then pull changes; raise on the first failure (after
        scheduling the back-off) so the caller's one error handler sees it."""
        report = SyncReport()
        try:
            report.uploaded = self.upload(deadline=deadline)
            if pull:
                pulled, size = self.pull(deadline=deadline)
                report.pulled, report.bytes = pulled, size
                self.store.set_meta("last_sync_at", _utcnow())
        except ScannerError as exc:
            self.failures += 1
            # Exponential back-off with jitter, so gates that lost the link together do
            # not all hammer the server the moment it returns.
            delay = min(60.0, 0.5 * 2 ** min(self.failures, 7)) * random.uniform(0.5, 1.0)
            self.next_due = time.monotonic() + delay
            self.last_error = exc
            raise
        self.failures = 0
        self.last_error = None
        return report

    def upload(self, *, deadline: float | None = None) -> int:
        with self._upload_lock:
            return self._upload(deadline)

    def _upload(self, deadline: float | None) -> int:
        sent = 0
        while True:
            batch = self.store.queued(UPLOAD_BATCH)
            if not batch:
                return sent
            answer = self.client.request(
                "POST", "/api/v1/scans/batch", body={"scans": [s.as_json() for s in batch]},
                timeout_s=self._timeout(deadline),
            ).body
            done = [str(r["scan_id"]) for r in answer["results"]]
            self.store.mark_uploaded(done)
            sent += len(done)

    def pull(self, *, deadline: float | None = None, page: int = PAGE) -> tuple[int, int]:
        """Delta pull from the stored cursor until the server says there is no more."""
        pulled = size = 0
        while True:
            cursor = self.store.get_meta("cursor")
            resp = self.client.request(
                "GET", "/api/v1/sync", query={"cursor": cursor, "limit": page},
                timeout_s=self._timeout(deadline),
            )
            body: dict[str, Any] = resp.body
            records = [BadgeRecord(**b) for b in body["badges"]]
            keys = [(int(k["key_id"]), str(k["public_key"])) for k in body["keys"]]
            self.store.apply_sync_page(keys, records, body["cursor"], body["event"])
            pulled += len(records)
            size += resp.size
            if not body["more"]:
                return pulled, size

    def heartbeat(self, mode: str, gate: str, timeout_s: float) -> bool:
        """Report state; returns the server's clock warning (gate clock off by > 60 s)."""
        body = {"queued_scans": self.store.queued_count(), "clock": _utcnow(), "mode": mode,
                "gate": gate, "last_sync_at": self.store.get_meta("last_sync_at")}
        try:
            answer = self.client.request("POST", "/api/v1/devices/heartbeat", body=body,
                                         timeout_s=timeout_s).body
        except HttpStatusError as exc:
            if exc.status == 403:  # an admin token used for a demo: nothing to report to
                return False
            raise
        warning = bool(answer.get("clock_warning"))
        self.store.set_meta("clock_warning", warning)
        return warning

    def _timeout(self, deadline: float | None) -> float:
        if deadline is None:
            return self.request_s
        left = deadline - time.monotonic()
        if left <= 0:
            raise ScannerError("Out of time", "sync stopped at its deadline")
        return min(left, self.request_s)


def _utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
