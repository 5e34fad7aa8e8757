"""LAN-group test helpers: real gate processes in LAN mode on loopback, each with its own
device token, driven through their stdin (``--source codes:-``, one code a line as a
keyboard wedge types them) and read from their headless output."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.faultproxy import FaultProxy
from tests.support.live import ROOT, LiveServer

ZONE = "Opening Ceremony Hall"
ENTRANCES = ("Opening Ceremony Hall Entrance", "Opening Ceremony Hall East")
EXIT = "Opening Ceremony Hall LAN Exit"
NORTH = "Opening Ceremony Hall LAN North"  # a third entrance, outside the group

Line = dict[str, Any]


def ensure_gates(server: LiveServer, more: tuple[str, ...] = ()) -> None:
    admin = server.session("admin")
    have = {g["name"] for g in admin.get(f"{server.url}/api/v1/gates", timeout=10).json()["gates"]}
    for name, direction in ((ENTRANCES[1], "in"), (EXIT, "out"), (NORTH, "in"),
                            *((m, "in") for m in more)):
        if name not in have:
            admin.post(f"{server.url}/api/v1/gates", timeout=10, json={
                "name": name, "zone": ZONE, "direction": direction}).raise_for_status()


def new_device(server: LiveServer, name: str) -> tuple[int, str]:
    r = server.session("admin").post(f"{server.url}/api/v1/devices", timeout=10,
                                     json={"name": name, "role": "gate"})
    r.raise_for_status()
    return int(r.json()["id"]), str(r.json()["token"])


class LanGate:
    """One gate program in LAN mode. Its output is read on a thread: verdict lines into a
    queue, LAN status lines into ``statuses`` (waited on with a condition, not a sleep)."""

    def __init__(self, server_url: str, token: str, gate: str, data_dir: Path,
                 peers: list[int], name: str, extra: tuple[str, ...] = (), *,
                 lan_host: str = "127.0.0.1", prefix: tuple[str, ...] = ()) -> None:
        self.name = name
        self.gate = gate
        self.verdicts: queue.Queue[Line] = queue.Queue()
        self.statuses: list[Line] = []
        self.port: int | None = None
        self.end: Line | None = None
        self._cond = threading.Condition()
        args = [*prefix, sys.executable, "-m", "scanner_client", "--server", server_url, "--token", token,
                "--gate", gate, "--source", "codes:-", "--data-dir", str(data_dir),
                "--headless", "--lan-port", "0", "--lan-host", lan_host, "--sync-s", "0.5",
                "--flush-s", "20", *extra]
        for port in peers:
            args += ["--peer", f"127.0.0.1:{port}"]
        self.stderr = (data_dir.parent / f"{name}.stderr")
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr.open("w"), text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait(lambda: self.port is not None, 60, "its LAN port")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = json.loads(raw)
            with self._cond:
                if line.get("event") == "lan":
                    self.port = int(line["port"])
                elif line.get("event") == "lan_status":
                    line["_at"] = time.monotonic()  # when it was read (the bench's clock)
                    self.statuses.append(line)
                elif "verdict" in line or "notice" in line:
                    self.verdicts.put(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def status(self) -> Line:
        with self._cond:
            return self.statuses[-1] if self.statuses else {}

    def wait(self, condition: Callable[[], object], timeout_s: float, what: str) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: condition() or self.proc.poll() is not None,
                                       timeout_s) or not condition():
                raise AssertionError(f"{self.name}: no {what} within {timeout_s}s "
                                     f"(exit {self.proc.poll()}, status {self.statuses[-3:]}): "
                                     f"{self.stderr.read_text()[-3000:]}")

    def wait_status(self, condition: Callable[[Line], bool], timeout_s: float, what: str) -> Line:
        """The status line that met ``condition`` (a later one may have come since)."""
        met: list[Line] = []

        def check() -> bool:
            if self.statuses and condition(self.statuses[-1]):
                met.append(self.statuses[-1])
                return True
            return False
        self.wait(check, timeout_s, what)
        return met[-1]

    def send(self, code: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(code + "\n")
        self.proc.stdin.flush()

    def result(self, timeout_s: float = 30) -> Line:
        try:
            return self.verdicts.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(f"{self.name}: no verdict: {self.stderr.read_text()[-3000:]}"
                                 ) from None

    def scan(self, code: str) -> Line:
        self.send(code)
        return self.result()

    def finish(self, timeout_s: float = 60) -> Line:
        """Close its input: it uploads its outbox (within --flush-s) and exits."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout_s)
        ends = [json.loads(x) for x in self.stderr.read_text().splitlines()
                if x.startswith('{"event": "end"')]
        assert ends, self.stderr.read_text()[-3000:]
        self.end = ends[-1]
        return self.end

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        if self.proc.poll() is None:
            if sys.platform != "win32":
                os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)


class LanGroup:
    """Starts gates one after the other, each told the LAN ports of those before it (links
    work both ways), each with its own device; kills what is left at the end."""

    def __init__(self, server: LiveServer, proxy: FaultProxy, tmp_path: Path) -> None:
        self.server, self.proxy, self.tmp_path = server, proxy, tmp_path
        self.gates: list[LanGate] = []
        self.devices: dict[str, int] = {}

    def start(self, name: str, gate: str, extra: tuple[str, ...] = (), *, mdns: bool = False
              ) -> LanGate:
        """With ``mdns`` the gate is told no peer: it must find them by mDNS on loopback."""
        device_id, token = new_device(self.server, f"lan {name} {self.tmp_path.name}")
        peers = [] if mdns else [g.port for g in self.gates
                                 if g.port is not None and g.proc.poll() is None]
        extra = extra or (("--budget-ms", "300") if mdns else ("--no-mdns",))
        started = LanGate(self.proxy.url, token, gate, self.tmp_path / name, peers, name, extra)
        self.devices[name] = device_id
        self.gates.append(started)
        return started

    def wait_linked(self, gates: list[LanGate], timeout_s: float = 30) -> int:
        """Until every gate hears all of them and they agree on one leader; the leader."""
        n = len(gates)
        for gate in gates:
            gate.wait_status(lambda s: s.get("linked") == n and s.get("leader") is not None,
                             timeout_s, f"a group of {n} with a leader")
        leaders = {g.wait_status(lambda s: s.get("leader") == gates[0].status.get("leader"),
                                 timeout_s, "the same leader")["leader"] for g in gates}
        assert len(leaders) == 1
        return int(leaders.pop())

    def close(self) -> None:
        for gate in self.gates:
            gate.kill()


def wait_until(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll server state with a deadline (a condition, never a bare sleep)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
