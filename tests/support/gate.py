"""Gate-program helpers for tests/scanner and tests/e2e: the gate names the gate server
has, the real CLI run headless, and polling with a deadline. The fixtures (gate_server,
proxy, gate_app, make_badge) are in tests/conftest.py."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.live import ROOT

GATE = "Opening Ceremony Hall Entrance"
SECOND_GATE = "Opening Ceremony Hall East"


def run_gate(server_url: str, token: str, source: str, data_dir: Path, *, gate: str = GATE,
             budget_ms: float = 300, timeout_s: float = 120, extra: tuple[str, ...] = ()
             ) -> list[dict[str, object]]:
    """The real CLI, headless; returns its verdict lines."""
    return run_gate_to_end(server_url, token, source, data_dir, gate=gate, budget_ms=budget_ms,
                           timeout_s=timeout_s, extra=extra)[0]


def run_gate_to_end(server_url: str, token: str, source: str, data_dir: Path, *,
                    gate: str = GATE, budget_ms: float = 300, timeout_s: float = 120,
                    extra: tuple[str, ...] = ()
                    ) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The real CLI, headless; its verdict lines and its closing ``{"event": "end"}`` line."""
    proc = subprocess.run(
        [sys.executable, "-m", "scanner_client", "--server", server_url, "--token", token,
         "--gate", gate, "--source", source, "--data-dir", str(data_dir), "--headless",
         "--budget-ms", str(budget_ms), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout_s,
    )
    assert proc.returncode == 0, proc.stderr
    ends = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith('{"event": "end"')]
    assert len(ends) == 1, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()], ends[0]


def wait_for(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll a condition with a deadline (never a bare sleep as synchronisation)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
