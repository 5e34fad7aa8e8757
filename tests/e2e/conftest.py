"""LAN-group fixture: gate processes in LAN mode, each with its own device, killed after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.faultproxy import FaultProxy
from tests.support.lan import LanGroup, ensure_gates
from tests.support.live import LiveServer


@pytest.fixture
def lan_group(gate_server: LiveServer, proxy: FaultProxy, tmp_path: Path) -> Iterator[LanGroup]:
    ensure_gates(gate_server)
    group = LanGroup(gate_server, proxy, tmp_path)
    yield group
    group.close()
