"""Scans: the gates' hot path, and the scan log for security."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, Field

from shared.schemas import CleanStr, ScanBatchIn, ScanBatchOut, ScanIn, ScanLog, ScanOut

from .. import presenters
from ..services import checkin, hotcache, scanlog, setup
from .auth import Principal
from .registry import GATE, MAX_ID, STAFF, endpoint

bp = Blueprint("scans", __name__)


class ScanLogQuery(BaseModel):
    badge: int | None = Field(default=None, ge=0, le=MAX_ID)
    attendee: int | None = Field(default=None, ge=0, le=MAX_ID)
    gate: CleanStr | None = Field(default=None, max_length=120)
    limit: int = Field(default=100, ge=1, le=1000)


@endpoint(bp, "/scans", "POST", roles=GATE, body=ScanIn, response=ScanOut,
          summary="Decide one scan (idempotent by scan_id)")
def post_scan(who: Principal, body: ScanIn) -> ScanOut:
    event, gate = hotcache.event_and_gate(body.gate)
    return presenters.scan_out(checkin.record_scan(event, who.device, body, gate=gate))


@endpoint(bp, "/scans/batch", "POST", roles=GATE, body=ScanBatchIn, response=ScanBatchOut,
          summary="Upload queued offline scans (idempotent by scan_id)")
def post_batch(who: Principal, body: ScanBatchIn) -> ScanBatchOut:
    event = setup.current_event()
    results = checkin.record_batch(event, who.device, body.scans)
    return ScanBatchOut(results=[presenters.scan_out(r) for r in results])


@endpoint(bp, "/scans", "GET", roles=STAFF, query=ScanLogQuery, response=ScanLog,
          summary="The scan log, newest first")
def get_scans(who: Principal, query: ScanLogQuery) -> ScanLog:
    event = setup.current_event()
    gate_id = setup.resolve_gate(event, query.gate).id if query.gate else None
    rows = scanlog.query(event, badge=query.badge, attendee=query.attendee, gate=gate_id,
                         limit=query.limit)
    return ScanLog(scans=presenters.scan_log_entries(rows))
