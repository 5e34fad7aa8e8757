"""The facade: the one object the screen and the headless loop talk to.

It turns a code into a verdict within the budget (online if the breaker allows, else
offline, same ``scan_id``), keeps the scan on disk before the verdict shows, and exposes
the state a screen needs (mode, queued scans, clock warning, last error).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared import BadBadgeNumber

from .errors import EnrolmentError, ScannerError
from .store import GateStore, QueuedScan
from .sync import SyncEngine
from .transport import DeadlineClient, HttpStatusError
from .verdicts import (
    CircuitBreaker,
    GateSetup,
    GateVerdict,
    OfflineValidator,
    OnlineClient,
    mark_typed,
    monotonic_ms,
    presence_after_online,
    typed_badge_number,
)

log = logging.getLogger("scanner_client")

# Time kept back from the online attempt for the offline decision and its commit.
OFFLINE_RESERVE_S = 0.04


@dataclass
class Settings:
    server: str
    token: str
    gate: str
    data_dir: Path
    budget_ms: float = 300.0
    staff_token: str | None = None  # name search is a staff right, see search_names
    durable: bool = True
    probe_interval_s: float = 0.5
    sync_interval_s: float = 10.0
    sync_request_s: float = 8.0  # one sync request's deadline (a hung link holds no longer)


@dataclass
class GateState:
    mode: str
    queued: int
    gate: str
    clock_warning: bool
    last_error: ScannerError | None
    cached_badges: int
    extra: dict[str, Any] = field(default_factory=dict)


class GateApp:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = GateStore(settings.data_dir / "gate.sqlite3", durable=settings.durable)
        self.client = DeadlineClient(settings.server, settings.token)
        self.breaker = CircuitBreaker()
        self.online = OnlineClient(self.client, settings.budget_ms / 1000)
        self.offline = OfflineValidator(self.store)
        self.sync = SyncEngine(self.client, self.store, request_s=settings.sync_request_s)
        self.gate: GateSetup | None = None
        self.last_error: ScannerError | None = None
        self.wake_sync = threading.Event()
        self._scan_lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------

    def start(self, enrol_timeout_s: float = 3.0) -> GateSetup:
        """Enrol with the server if it answers, else carry on from the cached setup."""
        try:
            self.gate = self.sync.enrol(self.settings.gate, enrol_timeout_s)
        except HttpStatusError as exc:
            if exc.status in (401, 403):
                raise EnrolmentError("Token refused", exc.message) from exc
            self._offline_start(exc)
        except EnrolmentError:
            raise
        except ScannerError as exc:
            self._offline_start(exc)
        if not self.breaker.is_open:
            # Refresh the cache before the first scan, but leave the outbox to the sync
            # worker: a long upload must not keep the gate from scanning.
            try:
                self.sync.pull(deadline=time.monotonic() + max(enrol_timeout_s, 60.0))
            except ScannerError as exc:
                self.report_error("sync", exc)
        assert self.gate is not None
        return self.gate

    def _offline_start(self, exc: ScannerError) -> None:
        cached = self.store.get_meta("gate")
        if cached is None or self.settings.gate not in (cached["name"], cached.get("requested")):
            raise EnrolmentError("Cannot reach the server",
                                 f"first start needs the server to enrol ({exc.message})") from exc
        self.gate = GateSetup.from_json(cached)
        self.breaker.trip()
        self.report_error("enrol", exc)

    def close(self) -> None:
        self.store.close()

    # --- the hot path ---------------------------------------------------------------

    def submit(self, code: str) -> GateVerdict:
        """One scan to one verdict, within the budget."""
        start = time.monotonic()
        gate = self.gate
        if gate is None:
            raise ScannerError("Not started", "call start() first")
        scan_id = str(uuid.uuid4())
        now = dt.datetime.now(dt.UTC)
        code = code.strip()
        typed = typed_badge_number(code)
        with self._scan_lock:  # two inputs (camera and wedge) must not interleave presence
            verdict: GateVerdict | None = None
            # A mistyped badge number (check digit) is refused at once, without the network.
            if not self.breaker.is_open and not isinstance(typed, BadBadgeNumber):
                left = self.settings.budget_ms / 1000 - (time.monotonic() - start) - OFFLINE_RESERVE_S
                try:
                    verdict = self.online.scan(scan_id, code, gate.name, now.isoformat(), max(left, 0.01))
                except ScannerError as exc:
                    # Hung, refused or broken: from here on decide locally until the probe
                    # sees the server again.
                    self.breaker.trip()
                    self.report_error("scan", exc)
            if verdict is not None:
                if typed is not None:
                    mark_typed(verdict, typed)
                presence = presence_after_online(verdict, gate, now, self.offline.today(now))
                self.store.record_verdict(None, presence)
            else:
                verdict, presence = self.offline.decide(scan_id, code, gate, now)
                self.store.record_verdict(
                    QueuedScan(scan_id, code, gate.name, gate.direction.value, now.isoformat(),
                               verdict.verdict, verdict.reason),
                    presence,
                )
        verdict.latency_ms = monotonic_ms(start)
        return verdict

    # --- background duties (called by workers) ----------------------------------------

    def probe_once(self) -> bool:
        """While the breaker is open, see whether the server answers again."""
        if not self.breaker.is_open:
            return True
        if self.online.probe(timeout_s=max(self.settings.budget_ms / 1000, 1.0)):
            self.breaker.reset()
            self.sync.link_back()
            self.wake_sync.set()
            return True
        return False

    def sync_once(self) -> None:
        if self.breaker.is_open or not self.sync.due():
            return
        try:
            self.sync.run_once()
        except HttpStatusError:
            raise
        except ScannerError:
            self.breaker.trip()
            raise

    def heartbeat_once(self) -> None:
        if self.breaker.is_open or self.gate is None:
            return
        self.sync.heartbeat("online", self.gate.name, timeout_s=self.settings.sync_request_s)

    def flush(self, timeout_s: float) -> int:
        """Before exit: try to upload what the outbox holds, within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        if self.store.queued_count() == 0:
            return 0
        if self.breaker.is_open and not self.online.probe(min(timeout_s, 1.0)):
            return 0
        try:
            return self.sync.upload(deadline=deadline)
        except ScannerError as exc:
            self.report_error("flush", exc)
            return 0

    # --- what the screen reads ------------------------------------------------------------

    def report_error(self, where: str, exc: ScannerError) -> None:
        """The one place worker and scan errors land: logged, and kept for the screen."""
        log.warning("%s: %s: %s", where, exc.title, exc.message)
        self.last_error = exc

    def state(self) -> GateState:
        return GateState(
            mode="offline" if self.breaker.is_open else "online",
            queued=self.store.queued_count(),
            gate=self.gate.name if self.gate else self.settings.gate,
            clock_warning=bool(self.store.get_meta("clock_warning")),
            last_error=self.last_error,
            cached_badges=self.store.badge_count(),
        )

    def search_names(self, query: str, timeout_s: float = 2.0) -> list[dict[str, Any]]:
        """Name search for a damaged badge. Online only, and only with a staff token: the
        gate keeps no readable name list (by design), and a gate token may not search."""
        if not self.settings.staff_token:
            raise ScannerError("Name search needs a supervisor",
                               "start with --staff-token (security role) to search by name")
        staff = DeadlineClient(self.settings.server, self.settings.staff_token)
        body = staff.request("GET", "/api/v1/attendees", query={"q": query, "limit": 10},
                             timeout_s=timeout_s).body
        return [
            {"name": a["name"], "organization": a["organization"], "access_level": a["access_level"],
             "badge": (a.get("badge") or {}).get("number"),
             "status": (a.get("badge") or {}).get("status"),
             "inside": [p["zone"] for p in a.get("inside", [])]}
            for a in body["attendees"]
        ]
