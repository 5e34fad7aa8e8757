"""Which clock a scan is recorded at.

Online, the server's: a gate's clock may be minutes (or, set by hand, days) off, and a
scan dated in the future would freeze presence there, after which anti-passback lets
everyone in again. Offline, the gate's own time is all there is, so it stands, but only
inside the window it can be true in: not after the server received it, and not more than
``OFFLINE_WINDOW`` before the gate's last successful sync (it cannot have scanned long
before it last had keys). What the gate claimed is kept beside it as ``device_time``.
"""

from __future__ import annotations

import datetime as dt

OFFLINE_WINDOW = dt.timedelta(hours=24)


def offline_time(claimed: dt.datetime | None, received: dt.datetime,
                 last_sync: dt.datetime | None) -> dt.datetime:
    """The gate's time for an offline scan, clamped to [last sync - 24 h, received]."""
    if claimed is None:
        return received
    anchor = min(last_sync, received) if last_sync is not None else received
    return max(anchor - OFFLINE_WINDOW, min(claimed, received))
