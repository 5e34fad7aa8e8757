"""Scans: the gates' hot path, and the scan log for security."""

from __future__ import annotations

from flask import Blueprint

from shared.schemas import ScanBatchIn, ScanBatchOut, ScanIn, ScanLog, ScanOut

from .. import metrics, presenters
from ..access import GATE, STAFF
from ..services.db import SCAN_STATEMENT_S
from ..services.entry import checkin, hotcache, scanlog
from ..services.event import setup
from .auth import Principal
from .batch import ParsedBatch, parse_batch
from .registry import endpoint
from .schemas import ScanLogQuery

bp = Blueprint("scans", __name__)


# A database that stops answering gets each round trip SCAN_STATEMENT_S, then 503.
@endpoint(bp, "/scans", "POST", roles=GATE, body=ScanIn, response=ScanOut,
          statement_s=SCAN_STATEMENT_S, summary="Decide one scan (idempotent by scan_id)")
def post_scan(who: Principal, body: ScanIn) -> ScanOut:
    event, gate = hotcache.event_and_gate(
        body.gate, who.device.setup_version if who.device is not None else None)
    out = presenters.scan_out(checkin.record_scan(event, who.device, body, gate=gate))
    metrics.count_scan(out.verdict, out.reason)  # latency: observability's after_request
    return out


@endpoint(bp, "/scans/batch", "POST", roles=GATE, body=ScanBatchIn, body_parser=parse_batch,
          statement_s=SCAN_STATEMENT_S, response=ScanBatchOut,
          summary="Upload queued offline scans (idempotent by scan_id); a scan that does not "
          "match the schema is answered in `refused`, the rest stored")
def post_batch(who: Principal, body: ParsedBatch) -> ScanBatchOut:
    event = setup.current_event()
    results = checkin.record_batch(event, who.device, body.scans) if body.scans else []
    out = ScanBatchOut(results=[presenters.scan_out(r, with_person=False) for r in results],
                       refused=body.refused)
    metrics.count_batch(len(body.scans))
    for result in out.results:
        metrics.count_scan(result.verdict, result.reason, "batch")
    return out


@endpoint(bp, "/scans", "GET", roles=STAFF, query=ScanLogQuery, response=ScanLog,
          summary="The scan log, newest first")
def get_scans(who: Principal, query: ScanLogQuery) -> ScanLog:
    event = setup.current_event()
    gate_id = setup.resolve_gate(event, query.gate).id if query.gate else None
    after = scanlog.decode_cursor(query.after) if query.after else None
    rows = scanlog.query(event, badge=query.badge, attendee=query.attendee, gate=gate_id,
                         limit=query.limit + 1, after=after)
    page = rows[:query.limit]
    more = len(rows) > query.limit
    return ScanLog(scans=presenters.scan_log_entries(page),
                   next_cursor=scanlog.encode_cursor(page[-1][0]) if more else None)
