"""The verdict engine's two halves: the online client (the server decides, under a strict
wall-clock budget, behind a circuit breaker) and the offline validator (the gate decides
from its cache with the same shared policy)."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from shared import (
    REASON_TEXT,
    BadBadgeNumber,
    BadgeClaims,
    BadgeFacts,
    Decision,
    GateFacts,
    KeyRing,
    NotABadge,
    PublicKey,
    SealedRecordError,
    TokenError,
    Verdict,
    ZoneFacts,
    decide,
    event_day,
    format_badge_number,
    open_record,
    parse_badge_number,
    slots_of,
    verify_token,
)
from shared.schemas import ScanIn, ScanOut

from .errors import RateLimited, ScannerError, ScanRefused, ServerUnreachable
from .outcomes import GateSetup, GateVerdict, PresenceChange
from .store import GateStore
from .transport import DeadlineClient, HttpStatusError

__all__ = ["CircuitBreaker", "GateSetup", "GateVerdict", "OfflineValidator", "OnlineClient",
           "PresenceChange", "TYPED_NUMBER_NOTE", "mark_typed", "typed_badge_number"]


class CircuitBreaker:
    """Open after a failure: later scans go straight to the offline validator instead of
    each waiting out the budget on a dead link; a background probe closes it again.
    Listeners hear each change (open: True), so the status bar follows the link."""

    def __init__(self) -> None:
        self._open = False
        self._lock = threading.Lock()
        self.listeners: list[Callable[[bool], None]] = []

    @property
    def is_open(self) -> bool:
        return self._open

    def trip(self) -> None:
        self._set(True)

    def reset(self) -> None:
        self._set(False)

    def _set(self, is_open: bool) -> None:
        with self._lock:
            if self._open == is_open:
                return
            self._open = is_open
        for listener in self.listeners:
            listener(is_open)


class OnlineClient:
    """POST /api/v1/scans, the whole attempt bounded by the budget the caller has left."""

    def __init__(self, client: DeadlineClient) -> None:
        self.client = client

    def scan(self, scan_id: str, code: str, gate: str, scanned_at: dt.datetime, budget_s: float
             ) -> GateVerdict:
        """The server's verdict; ScanRefused when the scan can never be taken as it is
        (refused by the shared schema before sending, or a 4xx), RateLimited on a 429,
        ScannerError when the server cannot be reached in time."""
        try:
            body = ScanIn(scan_id=uuid.UUID(scan_id), code=code, gate=gate, scanned_at=scanned_at)
        except ValidationError as exc:
            raise ScanRefused("Scan refused", _first_error(exc)) from exc
        try:
            answer = ScanOut.model_validate(
                self.client.request("POST", "/api/v1/scans", body=body, timeout_s=budget_s).body)
        except HttpStatusError as exc:
            if exc.status == 429:
                raise RateLimited("Too many requests", exc.message, exc.retry_after_s) from exc
            if exc.refused:
                raise ScanRefused("Scan refused", f"server said {exc.status}: {exc.message}") from exc
            raise
        except ValidationError as exc:
            raise ServerUnreachable("Bad answer", _first_error(exc)) from exc
        # Only an admit shows who the person is, whatever a server sends with a deny.
        attendee = answer.attendee if answer.verdict is Verdict.ADMIT else None
        badge = answer.badge
        return GateVerdict(
            scan_id=scan_id, verdict=answer.verdict, reason=answer.reason, mode="online",
            message=answer.message or REASON_TEXT.get(answer.reason, ""),
            name=attendee.name if attendee else None,
            organization=attendee.organization if attendee else None,
            access_level=attendee.access_level if attendee else None,
            badge_id=badge.id if badge else None, badge_number=badge.number if badge else None,
        )

    def probe(self, timeout_s: float) -> bool:
        """Is the server ready to decide scans? ``/readyz`` names what is down (503); a
        server from before it existed answers 404 there, and then ``/healthz`` counts."""
        deadline = time.monotonic() + timeout_s
        try:
            self.client.request("GET", "/readyz", timeout_s=timeout_s)
        except HttpStatusError as exc:
            if exc.status != 404:
                return False
            try:
                self.client.request("GET", "/healthz", timeout_s=max(deadline - time.monotonic(), 0.01))
            except ScannerError:
                return False
        except ScannerError:
            return False
        return True


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))


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
    ) -> tuple[GateVerdict, PresenceChange | None]:
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
        verdict = GateVerdict(scan_id=scan_id, verdict=decision.verdict,
                              reason=decision.reason, mode="offline",
                              message=REASON_TEXT.get(decision.reason, ""))
        presence = None
        if isinstance(claims, BadgeClaims):
            verdict.badge_id = claims.badge_id
            verdict.badge_number = format_badge_number(claims.badge_id)
            if typed is None and decision.admitted:
                # Only an admit shows who the person is: a deny shows reason and number.
                _open_personal(verdict, code, sealed)
            if decision.admitted:
                presence = PresenceChange.after_admit(claims.badge_id, gate, today, now)
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
        inside = self.store.is_inside(claims.badge_id, gate.zone_slot, today)
        if record is None or record.revision < claims.revision:
            return claims, BadgeFacts(inside=inside), None  # newer than our cache: trust the token
        facts = BadgeFacts(
            revoked=record.revoked or record.revision != claims.revision,
            inside=inside,
            zone_slots=slots_of(record.zone_mask),
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
            zone_slots=slots_of(record.zone_mask),
        )
        inside = self.store.is_inside(record.badge_id, gate.zone_slot, today)
        return claims, BadgeFacts(revoked=record.revoked, inside=inside)


# What staff type: ASCII digits, maybe spaces and a hyphen before the check digit
# ("000123-4"). A scanned badge code always starts with letters ("ADM1...").
_TYPED_CHARS = frozenset("0123456789 -")
TYPED_NUMBER_NOTE = "Typed badge number - check photo ID"


def typed_badge_number(code: str) -> int | BadBadgeNumber | None:
    """The badge id of a typed badge number, the error if it is mistyped, or None when
    the text is not typed by hand (a scanned code, say). Parsing is shared's."""
    if not code[:1].isdigit() or not set(code) <= _TYPED_CHARS:
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
        verdict.message = f"Badge number mistyped ({str(typed).partition(':')[0]})"
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
) -> PresenceChange | None:
    """Online admits move this gate's presence log too, so a later offline scan of the
    same badge here still says already_inside."""
    if verdict.badge_id is None or not verdict.admitted:
        return None
    return PresenceChange.after_admit(verdict.badge_id, gate, today, now)


def monotonic_ms(start: float) -> float:
    return (time.monotonic() - start) * 1000
