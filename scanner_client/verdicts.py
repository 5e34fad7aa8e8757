"""The verdict engine's two halves: the online client (the server decides, under a strict
wall-clock budget, behind a circuit breaker) and the offline validator (the gate decides
from its cache with the same shared policy)."""

from __future__ import annotations

import base64
import datetime as dt
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shared import (
    REASON_TEXT,
    BadBadgeNumber,
    BadgeClaims,
    BadgeFacts,
    Decision,
    Direction,
    GateFacts,
    KeyRing,
    NotABadge,
    PublicKey,
    Reason,
    SealedRecordError,
    TokenError,
    ZoneFacts,
    decide,
    event_day,
    open_record,
    parse_badge_number,
    verify_token,
)

from .errors import ScannerError
from .store import GateStore
from .transport import DeadlineClient, HttpStatusError


@dataclass(frozen=True)
class GateSetup:
    """The gate this laptop serves, as the server described it at enrolment."""

    name: str
    zone: str
    zone_slot: int
    direction: Direction
    allow_reentry: bool

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "zone": self.zone, "zone_slot": self.zone_slot,
                "direction": self.direction.value, "allow_reentry": self.allow_reentry}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateSetup:
        return cls(data["name"], data["zone"], int(data["zone_slot"]), Direction(data["direction"]),
                   bool(data["allow_reentry"]))


@dataclass
class GateVerdict:
    """What the screen shows and headless mode prints for one scan."""

    scan_id: str
    verdict: str
    reason: str
    mode: str
    latency_ms: float = 0.0
    message: str = ""
    name: str | None = None
    organization: str | None = None
    access_level: str | None = None
    badge_id: int | None = None
    typed_number: bool = False  # a badge number typed by staff, not a scanned code
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def admitted(self) -> bool:
        return self.verdict == "admit"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdict": self.verdict, "reason": self.reason, "mode": self.mode,
                               "latency_ms": round(self.latency_ms, 1), "scan_id": self.scan_id}
        if self.name is not None:
            out["name"] = self.name
        if self.badge_id is not None:
            out["badge_id"] = self.badge_id
        if self.typed_number:
            out["typed"] = True
            out["message"] = self.message
        return out


class CircuitBreaker:
    """Open after a failure: later scans go straight to the offline validator instead of
    each waiting out the budget on a dead link; a background probe closes it again."""

    def __init__(self) -> None:
        self._open = False
        self._lock = threading.Lock()
        self.changed = threading.Event()

    @property
    def is_open(self) -> bool:
        return self._open

    def trip(self) -> None:
        with self._lock:
            if not self._open:
                self._open = True
                self.changed.set()

    def reset(self) -> None:
        with self._lock:
            if self._open:
                self._open = False
                self.changed.set()


class OnlineClient:
    """POST /api/v1/scans with the whole attempt bounded by ``budget_s``."""

    def __init__(self, client: DeadlineClient, budget_s: float) -> None:
        self.client = client
        self.budget_s = budget_s

    def scan(self, scan_id: str, code: str, gate: str, scanned_at: str, budget_s: float) -> GateVerdict:
        answer = self.client.request(
            "POST", "/api/v1/scans",
            body={"scan_id": scan_id, "code": code, "gate": gate, "scanned_at": scanned_at},
            timeout_s=budget_s,
        ).body
        attendee = answer.get("attendee") or {}
        badge = answer.get("badge") or {}
        return GateVerdict(
            scan_id=scan_id, verdict=answer["verdict"], reason=answer["reason"], mode="online",
            message=answer.get("message") or REASON_TEXT.get(Reason(answer["reason"]), ""),
            name=attendee.get("name"), organization=attendee.get("organization"),
            access_level=attendee.get("access_level"), badge_id=badge.get("id"),
        )

    def probe(self, timeout_s: float) -> bool:
        try:
            self.client.request("GET", "/healthz", timeout_s=timeout_s)
        except (ScannerError, HttpStatusError):
            return False
        return True


class OfflineValidator:
    """Decides from the cache exactly as the server would from its database, except for
    what a single gate cannot know: presence at other gates and zone occupancy (the server
    flags the resulting conflicts when the scans arrive)."""

    def __init__(self, store: GateStore) -> None:
        self.store = store
        self._ring: KeyRing | None = None
        self._ring_source: object = None

    def keyring(self) -> KeyRing | None:
        event = self.store.get_meta("event")
        keys = self.store.keys()
        if event is None or not keys:
            return None
        source = (tuple(keys), event["start_date"])
        if source != self._ring_source:  # rebuild only when a sync changed the keys
            self._ring = KeyRing(
                [PublicKey(k, base64.b64decode(p)) for k, p in keys],
                dt.date.fromisoformat(event["start_date"]),
            )
            self._ring_source = source
        return self._ring

    def today(self, now: dt.datetime) -> dt.date:
        event = self.store.get_meta("event")
        tz = ZoneInfo(event["timezone"]) if event else dt.UTC
        return event_day(now, tz)

    def decide(
        self, scan_id: str, code: str, gate: GateSetup, now: dt.datetime
    ) -> tuple[GateVerdict, tuple[int, int, str, bool, str] | None]:
        """The verdict and the presence change to store with it."""
        today = self.today(now)
        typed = typed_badge_number(code)
        sealed: str | None = None
        if typed is not None:
            claims, facts = self._typed_claims(typed, gate, today)
        else:
            claims, facts, sealed = self._code_claims(code, gate, today)
        decision: Decision = decide(
            claims, GateFacts(zone_slot=gate.zone_slot, direction=gate.direction),
            ZoneFacts(allow_reentry=gate.allow_reentry), facts, today,
        )
        verdict = GateVerdict(scan_id=scan_id, verdict=decision.verdict.value,
                              reason=decision.reason.value, mode="offline",
                              message=REASON_TEXT.get(decision.reason, ""))
        presence = None
        if isinstance(claims, BadgeClaims):
            verdict.badge_id = claims.badge_id
            if typed is None:
                _open_personal(verdict, code, sealed)
            if decision.admitted:
                presence = (claims.badge_id, gate.zone_slot, today.isoformat(),
                            gate.direction is Direction.IN, now.isoformat())
        if typed is not None:
            mark_typed(verdict, typed)
        return verdict, presence

    def _code_claims(
        self, code: str, gate: GateSetup, today: dt.date
    ) -> tuple[BadgeClaims | TokenError, BadgeFacts, str | None]:
        ring = self.keyring()
        claims: BadgeClaims | TokenError
        if ring is None:
            # Never synced: no key to check a signature with. Deny rather than guess.
            claims = _no_keys(code)
        else:
            try:
                claims = verify_token(code, ring)
            except TokenError as exc:
                claims = exc
        if not isinstance(claims, BadgeClaims):
            return claims, BadgeFacts(), None
        record = self.store.badge(claims.badge_id)
        inside = self.store.is_inside(claims.badge_id, gate.zone_slot, today.isoformat())
        if record is None or record.revision < claims.revision:
            return claims, BadgeFacts(inside=inside), None  # newer than our cache: trust the token
        facts = BadgeFacts(
            revoked=record.revoked or record.revision != claims.revision,
            inside=inside,
            zone_slots=frozenset(i for i in range(32) if record.zone_mask >> i & 1),
            valid_days=frozenset(dt.date.fromisoformat(d) for d in record.days),
        )
        return claims, facts, record.sealed

    def _typed_claims(
        self, typed: int | BadBadgeNumber, gate: GateSetup, today: dt.date
    ) -> tuple[BadgeClaims | TokenError, BadgeFacts]:
        """A typed number stands for the badge's current revision, as on the server: the
        claims come from the cached record (there is no signed code to read them from)."""
        if isinstance(typed, BadBadgeNumber):
            return NotABadge(str(typed)), BadgeFacts()
        record = self.store.badge(typed)
        if record is None:
            return NotABadge(f"badge number {typed} is not in this gate's cache"), BadgeFacts()
        claims = BadgeClaims(
            key_id=0, badge_id=record.badge_id, revision=record.revision,
            valid_days=frozenset(dt.date.fromisoformat(d) for d in record.days),
            zone_slots=frozenset(i for i in range(32) if record.zone_mask >> i & 1),
        )
        inside = self.store.is_inside(record.badge_id, gate.zone_slot, today.isoformat())
        return claims, BadgeFacts(revoked=record.revoked, inside=inside)


# Badge numbers are digits with a hyphen before the check digit ("000123-4"); staff may
# type spaces or leave the hyphen out. A scanned code always has letters ("ADM1...").
_TYPED_NUMBER = re.compile(r"[0-9][0-9 \-]*")
TYPED_NUMBER_NOTE = "Typed badge number - check photo ID"


def typed_badge_number(code: str) -> int | BadBadgeNumber | None:
    """The badge id of a typed badge number, the error if its check digit is wrong, or
    None when the text is not shaped like a badge number (a scanned code, say)."""
    if not _TYPED_NUMBER.fullmatch(code) or sum(ch.isdigit() for ch in code) < 7:
        return None
    try:
        return parse_badge_number(code)
    except BadBadgeNumber as exc:
        return exc


def mark_typed(verdict: GateVerdict, typed: int | BadBadgeNumber) -> None:
    """Staff vouch for a typed number with the person's photo ID (offline the name cannot
    be shown: the sealed record opens only with the code); a mistyped one says so."""
    verdict.typed_number = True
    if isinstance(typed, BadBadgeNumber):
        verdict.message = "Badge number mistyped (check digit does not match)"
    elif verdict.admitted:
        verdict.message = TYPED_NUMBER_NOTE


def _no_keys(code: str) -> TokenError:
    from shared import UnknownKey, parse_token

    try:
        parse_token(code, dt.date(2000, 1, 1))
    except TokenError as exc:
        return exc
    return UnknownKey("no keys cached yet (never synced)", text=code[:200])


def _open_personal(verdict: GateVerdict, code: str, sealed: str | None) -> None:
    if not sealed:
        return
    try:
        fields = open_record(code, sealed)
    except SealedRecordError:
        return  # a forged code that happens to name a real badge id opens nothing
    verdict.name = fields.get("name")
    verdict.organization = fields.get("organization")
    verdict.access_level = fields.get("access_level")


def presence_after_online(
    verdict: GateVerdict, gate: GateSetup, now: dt.datetime, today: dt.date
) -> tuple[int, int, str, bool, str] | None:
    """Online admits move this gate's presence log too, so a later offline scan of the
    same badge here still says already_inside."""
    if verdict.badge_id is None or not verdict.admitted:
        return None
    return (verdict.badge_id, gate.zone_slot, today.isoformat(),
            gate.direction is Direction.IN, now.isoformat())


def monotonic_ms(start: float) -> float:
    return (time.monotonic() - start) * 1000
