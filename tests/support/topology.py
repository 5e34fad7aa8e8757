"""The production topology with real processes: what docker-compose.yml declares and
tests/e2e/test_topology.py starts (nginx, two app instances, the job worker)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.live import ROOT

APP_COMMAND = ["python", "-m", "server.serve"]
WORKER_COMMAND = ["flask", "--app", "server", "worker"]
MIGRATE_COMMAND = ["flask", "--app", "server", "init-db"]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
SERVICES = {"nginx", "app1", "app2", "db", "redis", "worker", "mail", "migrate"}


def nginx_conf_for(upstreams: list[str], listen: str, prefix: Path) -> str:
    """deploy/nginx.conf with loopback upstreams, a loopback listen address and paths a
    test may write; everything else (proxying, headers, timeouts) is the file itself."""
    text = NGINX_CONF.read_text()
    servers = "".join(f"        server {u} max_fails=3 fail_timeout=5s;\n" for u in upstreams)
    text, n = re.subn(r"(?m)^\s*server app\d:8000[^\n]*\n", "", text)
    assert n == 2, "deploy/nginx.conf no longer names app1 and app2"
    text = text.replace("    upstream admit_app {\n", "    upstream admit_app {\n" + servers)
    text = text.replace("listen 80;", f"listen {listen};")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {prefix / 'nginx.pid'};")
    temp = "".join(f"    {kind}_temp_path {prefix / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return text.replace("http {\n", "http {\n" + temp, 1)


class Process:
    """A child process in its own session, stopped with its children."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start_nginx(upstreams: list[str], port: int, prefix: Path) -> Process:
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf_for(upstreams, f"127.0.0.1:{port}", prefix))
    proc = Process(["nginx", "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                   dict(os.environ), prefix / "nginx.log")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"nginx exited:\n{proc.log.read_text()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.1)  # polling for readiness, not synchronising test logic
    proc.stop()
    raise RuntimeError(f"nginx did not come up:\n{proc.log.read_text()}")


def start_worker(env: dict[str, str], processes: int, log: Path) -> Process:
    return Process([sys.executable, "-m", *WORKER_COMMAND, "--processes", str(processes)],
                   env, log)
