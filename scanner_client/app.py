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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared import BadBadgeNumber
from shared.schemas import AttendeeList

from .enrolment import parse_enrolment
from .errors import EnrolmentError, RateLimited, ScannerError, ScanRefused, ServerUnreachable
from .lan.state import LanStatus
from .outcomes import (
    ENROLMENT_CODE_NOTE,
    GateNotice,
    GateSetup,
    Outcome,
    rate_limited_note,
    skew_words,
)
from .store import GateStore, QueuedScan
from .sync import SyncEngine, utcnow
from .transport import DeadlineClient, HttpStatusError
from .verdicts import (
    CircuitBreaker,
    OfflineValidator,
    OnlineClient,
    mark_typed,
    monotonic_ms,
    presence_after_online,
    typed_badge_number,
)

if TYPE_CHECKING:
    from .lan.gate import LanGate

log = logging.getLogger("scanner_client")

# Time kept back from the online attempt for the offline decision and its commit.
OFFLINE_RESERVE_S = 0.04
# In a LAN group the leader's answer (a round trip and its replication) needs room too.
LAN_RESERVE_S = 0.1


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
    heartbeat_interval_s: float = 15.0
    camera_silence_s: float = 5.0  # a live camera silent this long is shown as lost
    lan_port: int | None = None  # LAN mode (0: any free port); None: decide alone offline
    lan_host: str = "0.0.0.0"
    peers: list[tuple[str, int]] = field(default_factory=list)
    mdns: bool = True  # LAN mode: announce this gate and find peers by mDNS too


@dataclass
class GateState:
    mode: str
    queued: int
    gate: str
    clock_warning: bool
    last_error: ScannerError | None
    cached_badges: int
    set_aside: int = 0  # scans the server refused: kept on this laptop, never resent
    clock_note: str | None = None  # "this laptop's clock is 9 min fast", from the server
    errors: dict[str, ScannerError] = field(default_factory=dict)
    lan: LanStatus | None = None  # the LAN group as this gate sees it (LAN mode only)


class GateApp:
    def __init__(self, settings: Settings, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.settings = settings
        self.clock = clock  # this laptop's clock; tests inject a wrong one
        self.store = GateStore(settings.data_dir / "gate.sqlite3", durable=settings.durable)
        self.client = DeadlineClient(settings.server, settings.token)
        self.breaker = CircuitBreaker()
        self.breaker.listeners.append(self._on_link_change)
        self.online = OnlineClient(self.client)
        self.offline = OfflineValidator(self.store)
        self.sync = SyncEngine(self.client, self.store, request_s=settings.sync_request_s,
                               clock=clock)
        self.gate: GateSetup | None = None
        self.lan: LanGate | None = None
        self.wake_sync = threading.Event()
        self._errors: dict[str, tuple[ScannerError, float | None]] = {}
        self._errors_lock = threading.Lock()
        # Guards this gate's presence log (read, decide, write) between two inputs, camera
        # and wedge; never held across a network call.
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
        assert self.gate is not None
        if self.settings.lan_port is not None:
            self._start_lan(self.gate)
        if not self.breaker.is_open:
            # Refresh the cache before the first scan, but leave the outbox to the sync
            # worker: a long upload must not keep the gate from scanning.
            try:
                if self.lan is not None:  # the server learns our LAN key, we our device id
                    self.heartbeat_once()
                    self.lan.refresh()
                self.sync.pull(deadline=time.monotonic() + max(enrol_timeout_s, 60.0))
            except ScannerError as exc:
                self.report_error("sync", exc)
        assert self.gate is not None
        return self.gate

    def _start_lan(self, gate: GateSetup) -> None:
        from .lan.gate import LanGate

        try:
            self.lan = LanGate(self.store, self.offline, gate, self.settings.data_dir,
                               self.settings.lan_host, self.settings.lan_port or 0,
                               self.settings.peers, self.settings.mdns)
        except OSError as exc:
            raise EnrolmentError("Cannot open the LAN port", str(exc)) from exc
        self.sync.lan_gate = (gate.name, gate.zone_slot)
        self.sync.lan_public_key = self.lan.key.public_b64

    def _offline_start(self, exc: ScannerError) -> None:
        cached = self.store.get_meta("gate")
        if cached is None or self.settings.gate not in (cached["name"], cached.get("requested")):
            raise EnrolmentError("Cannot reach the server",
                                 f"first start needs the server to enrol ({exc.message})") from exc
        self.gate = GateSetup.from_json(cached)
        self.breaker.trip()
        self.report_error("enrol", exc)

    def close(self) -> None:
        if self.lan is not None:
            self.lan.node.close()
        self.store.close()

    # --- the hot path ---------------------------------------------------------------

    def submit(self, code: str) -> Outcome:
        """One input to one verdict (or notice), within the budget counted from here."""
        start = time.monotonic()
        gate = self.gate
        if gate is None:
            raise ScannerError("Not started", "call start() first")
        code = code.strip()
        mode = "offline" if self.breaker.is_open else "online"
        if parse_enrolment(code) is not None:
            # The device QR from the dashboard carries a live token: never sent, never kept.
            return GateNotice("enrolment_code", ENROLMENT_CODE_NOTE, mode, monotonic_ms(start))
        scan_id = str(uuid.uuid4())
        now = self.clock()
        typed = typed_badge_number(code)
        verdict = None
        refused: str | None = None
        # A mistyped badge number (check digit) is refused at once, without the network.
        reserve = LAN_RESERVE_S if self.lan is not None else OFFLINE_RESERVE_S
        if not self.breaker.is_open and not isinstance(typed, BadBadgeNumber):
            left = self.settings.budget_ms / 1000 - (time.monotonic() - start) - reserve
            try:
                verdict = self.online.scan(scan_id, code, gate.name, now, max(left, 0.01))
            except RateLimited as exc:
                # The server is up and says wait: deciding offline would get round the limit.
                return GateNotice("rate_limited", rate_limited_note(exc.retry_after_s, typed is not None),
                                  "online", monotonic_ms(start), exc.retry_after_s)
            except ScanRefused as exc:
                refused = exc.message  # the link is fine: decide here, keep it set aside
            except ScannerError as exc:
                # Hung, refused or broken: from here on decide locally until the probe
                # sees the server again.
                self.breaker.trip()
                self.report_error("scan", exc)
        lan = None
        if verdict is None and refused is None and self.lan is not None:
            # The presence part goes to the group's leader outside the scan lock: a slow
            # leader must not hold back this gate's other input.
            deadline = start + self.settings.budget_ms / 1000 - OFFLINE_RESERVE_S / 2
            lan = self.lan.decide(scan_id, code, gate, now, deadline)
        with self._scan_lock:
            if lan is not None:
                verdict = lan.verdict
                self.store.record_verdict(
                    QueuedScan(scan_id, code, gate.name, gate.direction, lan.scanned_at,
                               verdict.verdict, verdict.reason, lan.mode, lan.lan_seq),
                    lan.presence)
            elif verdict is not None:
                if typed is not None:
                    mark_typed(verdict, typed)
                presence = presence_after_online(verdict, gate, now, self.offline.today(now))
                self.store.record_verdict(None, presence)
            else:
                verdict, presence = self.offline.decide(scan_id, code, gate, now)
                verdict.set_aside = refused is not None
                self.store.record_verdict(
                    QueuedScan(scan_id, code, gate.name, gate.direction, now,
                               verdict.verdict, verdict.reason),
                    presence, set_aside_why=refused,
                )
        verdict.latency_ms = monotonic_ms(start)
        return verdict

    # --- background duties (called by workers) ----------------------------------------

    def probe_once(self) -> bool:
        """While the breaker is open, see whether the server answers again."""
        if not self.breaker.is_open:
            return True
        if self.online.probe(timeout_s=max(self.settings.budget_ms / 1000, 1.0)):
            if self.lan is not None:
                # Decide online again only once this gate's LAN-period scans are up: the
                # server must know what the group let in before it decides alone again.
                self.sync.upload(deadline=time.monotonic() + self.settings.sync_request_s)
            self.sync.link_back()
            self.breaker.reset()
            self.wake_sync.set()
            return True
        return False

    def sync_once(self) -> None:
        if self.breaker.is_open or not self.sync.due():
            return
        try:
            report = self.sync.run_once()
        except HttpStatusError:
            raise
        except ScannerError:
            self.breaker.trip()
            raise
        self.clear_error("sync")
        if report.uploaded or report.set_aside:
            self.heartbeat_once()  # the dashboard should not show scans already uploaded

    def heartbeat_once(self) -> None:
        if self.breaker.is_open or self.gate is None:
            return
        self.sync.heartbeat("online", self.gate.name, timeout_s=self.settings.sync_request_s)

    def flush(self, timeout_s: float) -> int:
        """Before exit: try to upload what the outbox holds within ``timeout_s``, then tell
        the server the true queued count. Returns how many went up in this call."""
        deadline = time.monotonic() + timeout_s
        uploaded = 0
        if self.breaker.is_open and not self.online.probe(min(timeout_s, 1.0)):
            return 0
        try:
            uploaded = self.sync.upload(deadline=deadline)
            if self.gate is not None:
                self.sync.heartbeat("online", self.gate.name,
                                    timeout_s=max(min(deadline - time.monotonic(), 2.0), 0.2))
        except ScannerError as exc:
            self.report_error("flush", exc)
        return uploaded

    # --- what the screen reads ------------------------------------------------------------

    def report_error(self, where: str, exc: ScannerError, *, show_s: float | None = None) -> None:
        """The one place worker and scan errors land: logged, and kept for the screen
        until the same duty succeeds again (or the link comes back, for link errors), or
        for ``show_s`` seconds."""
        log.warning("%s: %s: %s", where, exc.title, exc.message)
        until = time.monotonic() + show_s if show_s is not None else None
        with self._errors_lock:
            self._errors.pop(where, None)  # re-insert: the newest error is the last
            self._errors[where] = (exc, until)

    def clear_error(self, where: str) -> None:
        with self._errors_lock:
            self._errors.pop(where, None)

    def _on_link_change(self, is_open: bool) -> None:
        if is_open:
            return
        # The server answers again: what the link's failure said no longer holds.
        with self._errors_lock:
            for where, (exc, _until) in list(self._errors.items()):
                if isinstance(exc, (ServerUnreachable, HttpStatusError)):
                    del self._errors[where]

    def state(self) -> GateState:
        now = time.monotonic()
        with self._errors_lock:
            for where, (_exc, until) in list(self._errors.items()):
                if until is not None and until < now:
                    del self._errors[where]
            errors = {where: exc for where, (exc, _until) in self._errors.items()}
        warning = bool(self.store.get_meta("clock_warning"))
        skew = self.store.get_meta("clock_skew_s")
        lan = self.lan.status() if self.lan is not None else None
        mode = "online"
        if self.breaker.is_open:
            mode = "lan" if lan is not None and lan.leader is not None else "offline"
        return GateState(
            mode=mode,
            queued=self.store.queued_count(),
            gate=self.gate.name if self.gate else self.settings.gate,
            clock_warning=warning,
            last_error=list(errors.values())[-1] if errors else None,
            cached_badges=self.store.badge_count(),
            set_aside=self.store.set_aside_count(),
            clock_note=skew_words(float(skew)) if warning and skew is not None else None,
            errors=errors,
            lan=lan,
        )

    def search_names(self, query: str, timeout_s: float = 2.0) -> list[dict[str, Any]]:
        """Name search for a damaged badge. Online only, and only with a staff token: the
        gate keeps no readable name list (by design), and a gate token may not search.
        Slow (up to ``timeout_s``): the window runs it on a worker, never on the Tk thread."""
        if not self.settings.staff_token:
            raise ScannerError("Name search needs a supervisor",
                               "start with --staff-token (security role) to search by name")
        staff = DeadlineClient(self.settings.server, self.settings.staff_token)
        found = AttendeeList.model_validate(staff.request(
            "GET", "/api/v1/attendees", query={"q": query, "limit": 10}, timeout_s=timeout_s).body)
        return [
            {"name": a.name, "organization": a.organization, "access_level": a.access_level,
             "badge": a.badge.number if a.badge else None,
             "status": a.badge.status if a.badge else None,
             "inside": [p.zone for p in a.inside]}
            for a in found.attendees
        ]
