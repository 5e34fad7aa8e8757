"""The sync engine: no threads of its own, one ``run_once`` a worker calls when it is due.

Uploads go before downloads: the outbox holds scans people already walked through on,
while a download only refreshes the cache, so a short window of link is spent where it
matters. Batches are idempotent by ``scan_id``, so a batch whose answer was lost is
simply sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from shared import event_day
from shared.schemas import (
    GateOut,
    HeartbeatIn,
    HeartbeatOut,
    ScanBatchIn,
    ScanBatchOut,
    ScanIn,
    ZoneOut,
)
from shared.sync_schemas import PackedSyncOut, SyncOut

from .errors import ScannerError, ServerUnreachable, UnknownGate
from .outcomes import GateSetup
from .store import GateStore, QueuedScan
from .transport import DeadlineClient, HttpStatusError

log = logging.getLogger("scanner_client.sync")

UPLOAD_BATCH = 200  # small enough that one batch answers in well under request_s
PAGE = 5000


@dataclass
class SyncReport:
    uploaded: int = 0
    pulled: int = 0
    bytes: int = 0
    set_aside: int = 0


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SyncEngine:
    def __init__(self, client: DeadlineClient, store: GateStore, *, request_s: float = 8.0,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.client = client
        self.store = store
        self.request_s = request_s
        self.clock = clock  # this laptop's clock (injected in tests to make it wrong)
        self.failures = 0
        self.next_due = 0.0  # time.monotonic() of the next attempt
        # The engine owns no threads, but the sync worker and the exit flush may both call
        # it: one upload at a time, or both would send (harmlessly, wastefully) the same rows.
        self._upload_lock = threading.Lock()
        # A LAN gate asks the feed for its zone's presence and keeps its peers' keys.
        self.lan_gate: tuple[str, int] | None = None  # (gate name, zone slot)
        self.lan_public_key: str | None = None

    # --- setup ------------------------------------------------------------------------

    def enrol(self, gate: str, timeout_s: float) -> GateSetup:
        """Find the gate (by id or name) and its zone; cached so a later start works offline."""
        gates = [GateOut.model_validate(g) for g in
                 self.client.request("GET", "/api/v1/gates", timeout_s=timeout_s).body["gates"]]
        zones = [ZoneOut.model_validate(z) for z in
                 self.client.request("GET", "/api/v1/zones", timeout_s=timeout_s).body["zones"]]
        match = [g for g in gates if gate in (g.name, str(g.id))]
        if not match:
            names = ", ".join(g.name for g in gates)
            raise UnknownGate("Unknown gate", f"{gate!r} is not one of: {names}")
        found = match[0]
        zone = next(z for z in zones if z.id == found.zone_id)
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
        set_aside_before = self.store.counter("set_aside")
        try:
            report.uploaded = self.upload(deadline=deadline)
            report.set_aside = self.store.counter("set_aside") - set_aside_before
            if pull:
                pulled, size = self.pull(deadline=deadline)
                report.pulled, report.bytes = pulled, size
                self.store.set_meta("last_sync_at", self.clock().isoformat())
        except ScannerError:
            self.failures += 1
            # Exponential back-off with jitter, so gates that lost the link together do
            # not all hammer the server the moment it returns.
            delay = min(60.0, 0.5 * 2 ** min(self.failures, 7)) * random.uniform(0.5, 1.0)
            self.next_due = time.monotonic() + delay
            raise
        self.failures = 0
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
            sent += self._send(batch, deadline)

    def _send(self, batch: list[QueuedScan], deadline: float | None) -> int:
        """Send one batch; return how many the server stored. A scan it refuses (a 4xx
        other than 429: the same scan will never be taken) is set aside, found by halving
        the refused batch, so the rest of the queue still goes up."""
        sendable: list[tuple[QueuedScan, ScanIn]] = []
        for queued in batch:
            try:
                sendable.append((queued, queued.as_scan_in()))
            except (ValidationError, ValueError) as exc:  # the shared schema refuses it already
                self._set_aside(queued, f"not sendable: {exc}".splitlines()[0])
        if not sendable:
            return 0
        try:
            body = self.client.request(
                "POST", "/api/v1/scans/batch", body=ScanBatchIn(scans=[b for _, b in sendable]),
                timeout_s=self._timeout(deadline)).body
        except HttpStatusError as exc:
            if not exc.refused:
                raise
            if len(sendable) == 1:
                self._set_aside(sendable[0][0], f"server said {exc.status}: {exc.message}")
                return 0
            kept = [q for q, _ in sendable]
            half = len(kept) // 2
            return self._send(kept[:half], deadline) + self._send(kept[half:], deadline)
        try:
            answer = ScanBatchOut.model_validate(body)
        except ValidationError as exc:
            raise ServerUnreachable("Bad answer", f"batch answer: {exc}".splitlines()[0]) from exc
        done = {str(r.scan_id) for r in answer.results}
        self.store.mark_uploaded(sorted(done))
        for queued, _ in sendable:
            if queued.scan_id not in done:  # stored nowhere, said nothing: never resend forever
                self._set_aside(queued, "the server's batch answer has no result for it")
        return len(done)

    def _set_aside(self, scan: QueuedScan, why: str) -> None:
        log.warning("scan %s set aside: %s", scan.scan_id, why)
        self.store.set_aside(scan.scan_id, why)

    def pull(self, *, deadline: float | None = None, page: int = PAGE) -> tuple[int, int]:
        """Delta pull from the stored cursor until the server says there is no more."""
        pulled = size = 0
        while True:
            cursor = self.store.get_meta("cursor")
            query: dict[str, object] = {"cursor": cursor, "limit": page, "format": 2}
            if self.lan_gate is not None:
                query["gate"] = self.lan_gate[0]
            resp = self.client.request("GET", "/api/v1/sync", query=query,
                                       timeout_s=self._timeout(deadline))
            # A server from before format 2 ignores the parameter and answers format 1.
            packed = isinstance(resp.body, dict) and resp.body.get("format") == 2
            try:
                feed = (PackedSyncOut if packed else SyncOut).model_validate(resp.body)
            except ValidationError as exc:
                raise ServerUnreachable("Bad answer", f"sync feed: {exc}".splitlines()[0]) from exc
            keys = [(k.key_id, k.public_key) for k in feed.keys]
            event = feed.event.model_dump(mode="json")
            if isinstance(feed, PackedSyncOut):
                self.store.apply_packed_page(keys, feed.badges, feed.cursor, event)
            else:
                self.store.apply_sync_page(keys, feed.badges, feed.cursor, event)
            pulled += len(feed.badges)
            size += resp.size
            if self.lan_gate is not None:
                self._keep_lan_view(feed, self.lan_gate[1])
            if not feed.more:
                return pulled, size

    def _keep_lan_view(self, feed: SyncOut | PackedSyncOut, zone_slot: int) -> None:
        self.store.set_meta("lan_devices", [d.model_dump() for d in feed.gate_devices])
        if feed.presence is not None:
            day = event_day(feed.server_time, ZoneInfo(feed.event.timezone))
            self.store.replace_zone_presence(zone_slot, feed.presence, day, feed.server_time)

    def heartbeat(self, mode: Literal["online", "offline", "lan"], gate: str, timeout_s: float
                  ) -> HeartbeatOut | None:
        """Report state (the true queued count); keep the server's measure of this
        laptop's clock. None when the token is not a device's (nothing to report to)."""
        last_sync = self.store.get_meta("last_sync_at")
        beat = HeartbeatIn(queued_scans=self.store.queued_count(), clock=self.clock(), mode=mode,
                           gate=gate, lan_public_key=self.lan_public_key,
                           last_sync_at=dt.datetime.fromisoformat(last_sync) if last_sync else None)
        try:
            body = self.client.request("POST", "/api/v1/devices/heartbeat", body=beat,
                                       timeout_s=timeout_s).body
        except HttpStatusError as exc:
            if exc.status == 403:  # an admin token used for a demo: nothing to report to
                return None
            raise
        try:
            answer = HeartbeatOut.model_validate(body)
        except ValidationError as exc:
            raise ServerUnreachable("Bad answer", f"heartbeat: {exc}".splitlines()[0]) from exc
        self.store.set_meta("clock_warning", answer.clock_warning)
        self.store.set_meta("clock_skew_s", answer.clock_skew_s)
        if answer.device_id is not None:
            self.store.set_meta("device_id", answer.device_id)
        return answer

    def _timeout(self, deadline: float | None) -> float:
        if deadline is None:
            return self.request_s
        left = deadline - time.monotonic()
        if left <= 0:
            raise ScannerError("Out of time", "sync stopped at its deadline")
        return min(left, self.request_s)

