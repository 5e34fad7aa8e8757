"""LAN gates with the uplink gone: 8 gate processes on loopback, one badge shown at two
entrances at once, pair after pair, with an exit between pairs; then kill -9 of the
leader while scans go on. Prints double admits, decision time, time to a new leader,
degraded scans during the change and LAN messages per scan.

    .venv/bin/python bench/lan_gates.py [--pairs 300] [--gates 8]
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.factories import new_badge  # noqa: E402
from tests.support.faultproxy import FaultProxy  # noqa: E402
from tests.support.lan import (  # noqa: E402
    ENTRANCES,
    EXIT,
    NORTH,
    LanGate,
    LanGroup,
    ensure_gates,
)
from tests.support.live import LiveServer  # noqa: E402


def pick(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def pairs(a: LanGate, b: LanGate, x: LanGate, code: str, n: int) -> tuple[int, list[float], int]:
    """n pairs of one badge at two entrances; (double admits, decision ms, lan-backed)."""
    doubles, times, lan = 0, [], 0
    for _ in range(n):
        a.send(code)
        b.send(code)
        shown = [a.result(), b.result()]
        doubles += [v["verdict"] for v in shown].count("admit") > 1
        times += [float(v["latency_ms"]) for v in shown]
        lan += sum(v["mode"] == "lan" for v in shown)
        x.scan(code)
    return doubles, times, lan


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=300, help="scan pairs (the issue's figure: 10000)")
    ap.add_argument("--gates", type=int, default=8)
    args = ap.parse_args()
    server = LiveServer("sqlite").start()
    parts = urlsplit(server.url)
    proxy = FaultProxy(parts.hostname or "127.0.0.1", int(parts.port or 80))
    extra = tuple(f"Opening Ceremony Hall Bench {i}" for i in range(max(args.gates - 4, 0)))
    ensure_gates(server, extra)
    group = LanGroup(server, proxy, Path(tempfile.mkdtemp()))
    try:
        badge = new_badge(server)
        fresh = [new_badge(server) for _ in range(60)]

        # 1. Steady state: pairs at two entrances, an exit between; every gate's own count
        # of what it sent (its closing line) gives the messages per scan.
        gates = start_group(group, extra, args.gates, "")
        leader, a, b, x = gates[:4]
        group.wait_linked(gates, timeout_s=60)
        proxy.set_mode("blackhole")
        pairs(a, b, x, badge.code, 1)  # the first scan at each gate waits out the online try
        t0 = time.monotonic()
        doubles, times, lan = pairs(a, b, x, badge.code, args.pairs)
        run_s = time.monotonic() - t0
        print(f"gates={len(gates)} pairs={args.pairs} double_admits={doubles} "
              f"leader_backed={lan}/{2 * args.pairs}")
        print(f"decision p50={pick(times, 0.5):.1f} ms p99={pick(times, 0.99):.1f} ms "
              f"max={max(times):.1f} ms  ({3 * args.pairs / run_s:.0f} scans/s incl. exits)")
        kinds: dict[str, int] = {}
        for gate in gates:
            for kind, count in gate.finish(30).get("lan_sent", {}).items():
                kinds[kind] = kinds.get(kind, 0) + count
        ordered = sum(v for k, v in kinds.items() if k != "hb")
        print(f"LAN messages per scan: {ordered / (3 * (args.pairs + 1)):.1f} "
              f"({', '.join(f'{k}={v}' for k, v in sorted(kinds.items()))}; hb = heartbeats, "
              f"every 200 ms to each peer)")

        # 2. kill -9 of the leader while one entrance keeps scanning fresh badges.
        proxy.set_mode("pass")
        gates = start_group(group, extra, args.gates, "2")
        leader, a, b, x = gates[:4]
        old = group.wait_linked(gates, timeout_s=60)
        proxy.set_mode("blackhole")
        pairs(a, b, x, badge.code, 1)
        killed_at = time.monotonic()
        leader.signal(signal.SIGKILL)
        survivors = gates[1:]
        during = []
        for new in fresh:
            if all(g.status.get("leader") not in (old, None) for g in survivors):
                break
            during.append(a.scan(new.code))
        took = max(min(s["_at"] for s in g.statuses if s.get("leader") not in (old, None))
                   for g in survivors) - killed_at
        degraded = sum(bool(v.get("degraded")) for v in during)
        print(f"new leader after kill -9: {took * 1000:.0f} ms; scans during the change: "
              f"{len(during)}, degraded (flagged): {degraded} "
              f"({''.join('D' if v.get('degraded') else 'L' for v in during)}, "
              f"{sum(float(v['latency_ms']) for v in during):.0f} ms of decisions)")
        after, _, _ = pairs(a, b, x, badge.code, 20)
        print(f"double admits in 20 pairs after the change: {after}")
    finally:
        group.close()
        proxy.close()
        server.stop()


def start_group(group: LanGroup, extra: tuple[str, ...], n: int, suffix: str) -> list[LanGate]:
    names = [("leader", NORTH), ("a", ENTRANCES[0]), ("b", ENTRANCES[1]), ("x", EXIT),
             *((f"g{i}", name) for i, name in enumerate(extra))][:n]
    return [group.start(name + suffix, gate) for name, gate in names]


if __name__ == "__main__":
    main()
