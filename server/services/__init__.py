"""What the server does, grouped by what it serves. Routes, views and CLI commands call
these; each service call that writes is one transaction (``db.transactional``).

- ``entry``     the gates: check-in, presence, the scan log, alerts, overrides
- ``issuing``   badges, signing keys, badge PDFs
- ``mail``      badge delivery by email: composing and sending
- ``people``    attendees, CSV import, search text
- ``accounts``  dashboard users and sign-in, device tokens, the audit log
- ``event``     the event's setup (zones, gates, levels), stats, the sync feed, demo data
- ``db``        the transaction decorator (SQLite write lock, retry when busy)
"""
