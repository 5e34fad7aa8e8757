"""Data out, and data that leaves: exports (``exports`` over ``tabular``), the post-event
``reports``, ``erasure`` and retention, and ``webhooks`` (with ``webhook_delivery``)."""
