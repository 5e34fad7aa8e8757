"""Request and response bodies of the HTTP API, shared by server and gate.

Pydantic validates what arrives and renders the JSON schemas that the OpenAPI
description is built from, so the contract lives in one place.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    model_validator,
)

from .controls import NoControls, refuse_controls
from .policy import Direction
from .reasons import Reason, Verdict

_STRICT = ConfigDict(extra="forbid")

# How a gate decided a scan it uploads later (an online scan has no mode in its body).
ScanMode = Literal["offline", "lan", "degraded"]


# The one validator for text from outside (shared/controls.py): API bodies, query
# parameters, dashboard forms and CSV cells all go through it.
CleanStr = NoControls
refuse_control_characters = refuse_controls

# Special-use names a staff address may carry (the demo's admin@admit.local); the email
# validator refuses them, so their syntax is checked as if they were ``.example``.
_SPECIAL_USE_TLDS = frozenset({"local", "test", "example", "invalid", "localhost"})


def staff_email(value: str) -> str:
    """A syntactically valid address, lowercased; no deliverability check (offline)."""
    value = refuse_control_characters(value.strip()).lower()
    local, _, domain = value.rpartition("@")
    tld = domain.rsplit(".", 1)[-1]
    checked = f"{local}@{domain[: -len(tld)]}example" if "." in domain and tld in _SPECIAL_USE_TLDS else value
    try:
        validate_email(checked, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return value


StaffEmail = Annotated[str, AfterValidator(staff_email)]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: object | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


# --- scans -----------------------------------------------------------------------


class ScanIn(BaseModel):
    """One scan from a gate. An offline scan carries the gate's verdict and its reason,
    both or neither; a time without its zone would be read in the wrong one, so it is
    refused rather than guessed."""

    model_config = _STRICT
    scan_id: uuid.UUID
    code: CleanStr = Field(max_length=4096)
    gate: CleanStr = Field(min_length=1, max_length=100, description="gate id or name")
    direction: Direction | None = None
    scanned_at: AwareDatetime | None = Field(default=None, description="with a UTC offset")
    offline_verdict: Verdict | None = None
    offline_reason: Reason | None = None
    mode: ScanMode | None = Field(
        default=None, description="how a gate decided a queued scan: alone (offline), with "
        "its LAN group's leader (lan), or alone while its group had no leader (degraded)")
    lan_seq: int | None = Field(default=None, ge=0, le=2**62,
                                description="the LAN leader's sequence number of the scan")

    @model_validator(mode="after")
    def _verdict_with_reason(self) -> ScanIn:
        if (self.offline_verdict is None) != (self.offline_reason is None):
            raise ValueError("offline_verdict and offline_reason come together or not at all")
        return self


class AttendeeBrief(BaseModel):
    id: int
    name: str
    organization: str
    country: str
    access_level: str


class BadgeBrief(BaseModel):
    id: int
    number: str
    revision: int
    status: str


class ScanOut(BaseModel):
    scan_id: uuid.UUID
    verdict: Verdict
    reason: Reason
    message: str
    gate: str
    zone: str
    direction: Direction
    scanned_at: dt.datetime
    attendee: AttendeeBrief | None = None
    badge: BadgeBrief | None = None
    duplicate: bool = False
    conflict: str | None = None


class ScanBatchIn(BaseModel):
    model_config = _STRICT
    scans: list[ScanIn] = Field(max_length=1000)


class ScanRefusal(BaseModel):
    """One scan of a batch the server refused on its own (the rest is stored): the gate
    sets it aside instead of resending it."""

    scan_id: str | None = Field(description="as sent (it may be what is wrong)")
    error: ErrorBody


class ScanBatchOut(BaseModel):
    results: list[ScanOut]
    refused: list[ScanRefusal] = Field(
        default_factory=list, description="scans refused one by one, each with its error")


class ScanLogEntry(BaseModel):
    scan_id: uuid.UUID
    verdict: Verdict
    reason: Reason
    mode: Literal["online", "offline", "override", "system", "annul", "lan", "degraded"]
    lan_seq: int | None = None
    gate: str
    zone: str
    direction: Direction
    scanned_at: dt.datetime
    received_at: dt.datetime
    device_time: dt.datetime | None = Field(default=None, description="the gate's clock")
    device: str | None
    badge_id: int | None
    attendee_id: int | None
    attendee_name: str | None
    code: str
    offline_verdict: Verdict | None = None
    offline_reason: Reason | None = None
    conflict: str | None = None
    server_reason: Reason | None = None
    actor: str | None = Field(default=None, description="who, for an override")
    note: str | None = Field(default=None, description="why (override), or how (typed number)")
    annuls: uuid.UUID | None = Field(default=None, description="an annul entry: the admit it takes back")


class ScanLog(BaseModel):
    scans: list[ScanLogEntry]
    next_cursor: str | None = Field(
        default=None, description="pass as ?after= for the next (older) page; null at the end")


# --- event setup -----------------------------------------------------------------


class ZoneOut(BaseModel):
    id: int
    name: str
    slot: int
    capacity: int | None
    allow_reentry: bool
    occupancy: int
    active: bool = True


class GateOut(BaseModel):
    id: int
    name: str
    zone: str
    zone_id: int
    zone_slot: int
    direction: Direction
    active: bool = True


class AccessLevelOut(BaseModel):
    id: int
    name: str
    colour: str
    zones: list[str]
    days: list[dt.date]
    active: bool = True


class ZoneIn(BaseModel):
    model_config = _STRICT
    name: CleanStr = Field(min_length=1, max_length=120)
    capacity: int | None = Field(default=None, ge=0, le=10_000_000)
    allow_reentry: bool = False


class AccessLevelIn(BaseModel):
    model_config = _STRICT
    name: CleanStr = Field(min_length=1, max_length=120)
    colour: CleanStr = Field(default="#1f4e79", pattern=r"^#[0-9a-fA-F]{6}$")
    zones: list[CleanStr] = Field(max_length=32)
    days: list[dt.date] = Field(max_length=16)


class GateIn(BaseModel):
    model_config = _STRICT
    name: CleanStr = Field(min_length=1, max_length=120)
    zone: CleanStr = Field(min_length=1, max_length=120)
    direction: Direction = Direction.IN


# --- attendees and badges ---------------------------------------------------------


class AttendeeIn(BaseModel):
    model_config = _STRICT
    name: CleanStr = Field(min_length=1, max_length=200)
    email: EmailStr
    organization: CleanStr = Field(default="", max_length=200)
    country: CleanStr = Field(default="", max_length=2)
    language: CleanStr = Field(default="en", max_length=8)
    access_level: CleanStr = Field(min_length=1, max_length=120)
    days: list[dt.date] | None = Field(default=None, max_length=16)
    external_id: CleanStr | None = Field(default=None, max_length=120)


class AttendeePatch(BaseModel):
    model_config = _STRICT
    name: CleanStr | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    organization: CleanStr | None = Field(default=None, max_length=200)
    country: CleanStr | None = Field(default=None, max_length=2)
    language: CleanStr | None = Field(default=None, max_length=8)
    access_level: CleanStr | None = Field(default=None, min_length=1, max_length=120)
    days: list[dt.date] | None = Field(default=None, max_length=16)


class BadgeOut(BaseModel):
    id: int
    number: str
    revision: int
    status: str
    key_id: int
    zones: list[str]
    days: list[dt.date]
    issued_at: dt.datetime
    code: str | None = None


class PresenceOut(BaseModel):
    zone: str
    since: dt.datetime
    gate: str


class AttendeeOut(BaseModel):
    id: int
    name: str
    email: str
    organization: str
    country: str
    language: str
    access_level: str
    zones: list[str]
    days: list[dt.date]
    external_id: str | None
    badge: BadgeOut | None
    inside: list[PresenceOut]


class AttendeeList(BaseModel):
    attendees: list[AttendeeOut]
    total: int


class OverrideIn(BaseModel):
    """A supervisor's override, logged with who and why."""

    model_config = _STRICT
    action: Literal["force_admit", "reset_presence"]
    reason: CleanStr = Field(min_length=3, max_length=500)
    gate: CleanStr | None = Field(default=None, max_length=120, description="for force_admit")
    zone: CleanStr | None = Field(default=None, max_length=120, description="reset_presence: one zone, else all")


class UserIn(BaseModel):
    """A dashboard user (the password's length here; the common-password list on the server)."""

    model_config = _STRICT
    email: StaffEmail = Field(max_length=320)
    password: str = Field(min_length=12, max_length=200)
    role: Literal["admin", "security"]


class ImportRowError(BaseModel):
    row: int
    field: str | None
    message: str


class ImportReport(BaseModel):
    created: int
    updated: int
    errors: list[ImportRowError]


class LookupOut(BaseModel):
    attendee: AttendeeOut
    scans: list[ScanLogEntry]


# --- devices -----------------------------------------------------------------------


class DeviceIn(BaseModel):
    model_config = _STRICT
    name: CleanStr = Field(min_length=1, max_length=120)
    role: Literal["admin", "security", "gate"] = "gate"
    gate: CleanStr | None = Field(default=None, max_length=120)


class DeviceOut(BaseModel):
    id: int
    name: str
    role: str
    gate: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    queued_scans: int | None
    last_sync_at: dt.datetime | None
    clock_skew_s: float | None
    token: str | None = Field(default=None, description="shown once, at creation")


class HeartbeatIn(BaseModel):
    model_config = _STRICT
    queued_scans: int = Field(ge=0, le=1_000_000_000)
    last_sync_at: dt.datetime | None = None
    clock: dt.datetime
    mode: Literal["online", "offline", "lan"] = "online"
    gate: CleanStr | None = Field(default=None, max_length=120)
    lan_public_key: str | None = Field(
        default=None, min_length=44, max_length=44,
        description="this device's raw Ed25519 LAN key, base64 (made at enrolment)")


class HeartbeatOut(BaseModel):
    server_time: dt.datetime
    clock_skew_s: float
    clock_warning: bool
    device_id: int | None = None
