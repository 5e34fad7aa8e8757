"""A gate annuls its own admit ("the turnstile did not turn")."""

from __future__ import annotations

import uuid

from flask import Blueprint

from shared.schemas import ScanLogEntry

from .. import presenters
from ..access import GATE
from ..errors import NotFound
from ..services.entry import dayend, scanlog
from ..services.event import setup
from .auth import Principal
from .registry import endpoint

bp = Blueprint("dayend", __name__)


@endpoint(bp, "/scans/<scan_id>/annul", "POST", roles=GATE, response=ScanLogEntry,
          summary="Annul this device's own admit within 60 s (409 later or after a newer scan)")
def annul(who: Principal, scan_id: str) -> ScanLogEntry:
    try:
        wanted = str(uuid.UUID(scan_id))
    except ValueError as exc:
        raise NotFound(f"no scan {scan_id!r}") from exc
    event = setup.current_event()
    entry = dayend.annul(event, who.device, wanted)
    rows = scanlog.query(event, scan_id=entry.scan_id, limit=1)
    return presenters.scan_log_entries(rows)[0]
