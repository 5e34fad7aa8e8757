"""The gates' sync feed: keys and badge records changed since a cursor."""

from __future__ import annotations

from flask import Blueprint

from shared.schemas import SyncOut

from ..access import GATE
from ..services.accounts import devices
from ..services.event import setup, sync
from .auth import Principal
from .registry import endpoint
from .schemas import SyncQuery

bp = Blueprint("sync", __name__)


@endpoint(bp, "/sync", "GET", roles=GATE, query=SyncQuery, response=SyncOut,
          summary="Keys and badge records changed since the cursor")
def get_sync(who: Principal, query: SyncQuery) -> SyncOut:
    event = setup.current_event()
    out = sync.feed(event, query.cursor, query.limit)
    if who.device is not None and not out.more:
        devices.mark_synced(who.device)
    return out
