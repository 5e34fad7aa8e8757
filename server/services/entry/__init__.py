"""The gates: one scan in, one verdict out (``checkin``), who is inside (``presence``),
the scan log, conflicts from offline scans (``alerts``), supervisor ``overrides``, and
the per-process cache of gates on the hot path (``hotcache``)."""
