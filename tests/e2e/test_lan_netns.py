"""Two gates on a real LAN segment: each in its own network namespace, linked by veth
pairs on a bridge (as two laptops on one switch). They find each other by mDNS across
the bridge, with no --peer, and hold anti-passback when the server is blackholed. Needs
root (CI runs as root); skipped elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.factories import Badge
from tests.support.faultproxy import FaultProxy
from tests.support.lan import ENTRANCES, LanGate, ensure_gates, new_device
from tests.support.live import LiveServer

BRIDGE, SUBNET = "admlanbr0", "10.213.7"
SPACES = {"admlan-a": f"{SUBNET}.2", "admlan-b": f"{SUBNET}.3"}

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                                reason="network namespaces need root and iproute2")


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def teardown() -> None:
    for ns in SPACES:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
    subprocess.run(["ip", "link", "del", BRIDGE], capture_output=True, timeout=10)


@pytest.fixture
def segment() -> Iterator[str]:
    """A bridge at .1 and two namespaces at .2 and .3; yields the bridge's address."""
    teardown()
    ip("link", "add", BRIDGE, "type", "bridge")
    ip("addr", "add", f"{SUBNET}.1/24", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")
    for i, (ns, address) in enumerate(SPACES.items()):
        ip("netns", "add", ns)
        ip("link", "add", f"admlanv{i}", "type", "veth", "peer", "name", f"admlanp{i}")
        ip("link", "set", f"admlanp{i}", "netns", ns)
        ip("link", "set", f"admlanv{i}", "master", BRIDGE, "up")
        ip("-n", ns, "addr", "add", f"{address}/24", "dev", f"admlanp{i}")
        ip("-n", ns, "link", "set", f"admlanp{i}", "up")
        ip("-n", ns, "link", "set", "lo", "up")
    yield f"{SUBNET}.1"
    teardown()


def test_two_gates_in_their_own_namespaces_link_by_mdns_and_admit_once(
    segment: str, gate_server: LiveServer, make_badge: Callable[..., Badge], tmp_path: Path,
) -> None:
    ensure_gates(gate_server)
    parts = urlsplit(gate_server.url)
    proxy = FaultProxy(parts.hostname or "127.0.0.1", int(parts.port or 80), host=segment)
    gates: list[LanGate] = []
    try:
        badge = make_badge()
        for (ns, address), gate in zip(SPACES.items(), ENTRANCES, strict=True):
            _, token = new_device(gate_server, f"netns {ns} {tmp_path.name}")
            gates.append(LanGate(proxy.url, token, gate, tmp_path / ns, [], ns,
                                 ("--budget-ms", "300"), lan_host=address,
                                 prefix=("ip", "netns", "exec", ns)))
        for gate in gates:
            gate.wait_status(lambda s: s.get("linked") == 2 and s.get("leader") is not None,
                             60, "the other namespace's gate, found by mDNS")
        proxy.set_mode("blackhole")
        for gate in gates:
            gate.send(badge.code)
        shown = [gate.result() for gate in gates]
        assert sorted(v["verdict"] for v in shown) == ["admit", "deny"], shown
        assert {v["mode"] for v in shown} == {"lan"}
    finally:
        for gate in gates:
            gate.kill()
        proxy.close()
