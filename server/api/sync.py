"""The gates' sync feed: keys and badge records changed since a cursor."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.sync_schemas import SyncOut

from ..access import GATE
from ..services.accounts import devices
from ..services.event import setup, sync
from .auth import Principal
from .registry import endpoint
from .schemas import SyncQuery

bp = Blueprint("sync", __name__)


@endpoint(bp, "/sync", "GET", roles=GATE, query=SyncQuery, response=SyncOut,
          summary="Keys and badge records changed since the cursor (format=2: PackedSyncOut)")
def get_sync(who: Principal, query: SyncQuery) -> SyncOut | Response:
    event = setup.current_event()
    if query.format == 2:
        body, more = sync.feed_packed(event, query.cursor, query.limit,
                                      gate=query.gate)
        out: SyncOut | Response = Response(body, mimetype="application/json")
    else:
        out = sync.feed(event, query.cursor, query.limit, gate=query.gate)
        more = out.more
    if who.device is not None and not more:
        devices.mark_synced(who.device)
    return out
