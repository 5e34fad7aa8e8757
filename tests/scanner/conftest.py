"""The gate program's fixtures live in tests.support.gate (the e2e gate tests share them)."""

from tests.support.gate import gate_app, gate_server, make_badge, proxy

__all__ = ["gate_app", "gate_server", "make_badge", "proxy"]
