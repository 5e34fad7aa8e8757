"""A rate limit every worker and instance shares: Redis when ``REDIS_URL`` is set, else a
small SQLite file under the instance folder that all server workers of this host open
(several hosts need Redis). Never process memory: with 2 workers x 8 threads a limit
kept per process would be a limit per worker, and a restart would reset it.

The rule is GCRA (a leaky bucket kept as one timestamp per key): ``limit`` requests in
any ``period``, as a burst of ``limit`` and then one every ``period / limit``, and the
refusal says exactly how long to wait.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from ..errors import RateLimited

# Atomic in Redis: read the key's theoretical arrival time, decide, write it back.
_GCRA_LUA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then return tostring(tat - tolerance - now) end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((tat + interval - now) * 1000))
return '0'
"""


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    period_s: float

    @property
    def interval(self) -> float:
        return self.period_s / self.limit

    @property
    def tolerance(self) -> float:
        return self.period_s - self.interval


def typed_numbers() -> Rule:
    return Rule("typed", int(current_app.config.get("TYPED_NUMBERS_PER_MINUTE", 10)), 60.0)


_local = threading.local()
_redis_clients: dict[str, Any] = {}


def hit(rule: Rule, key: str, message: str) -> None:
    """Count one request for ``key``; raise ``RateLimited`` past the rule."""
    wait = _wait_redis(rule, key) if current_app.config.get("REDIS_URL") else _wait_file(rule, key)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(f"{message}, wait {seconds} s", retry_after_s=seconds)


def _wait_redis(rule: Rule, key: str) -> float:
    import redis

    url = str(current_app.config["REDIS_URL"])
    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=1.0,
                                                             socket_connect_timeout=1.0)
    answer = client.eval(_GCRA_LUA, 1, f"admit:rl:{rule.name}:{key}", time.time(),
                         rule.interval, rule.tolerance)
    return float(answer)


def _wait_file(rule: Rule, key: str) -> float:
    conn = _file_connection(Path(current_app.instance_path) / "ratelimit.sqlite3")
    now = time.time()
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT tat FROM gcra WHERE key = ?", (f"{rule.name}:{key}",)).fetchone()
        tat = max(float(row[0]) if row else now, now)
        if tat - now > rule.tolerance:
            return tat - rule.tolerance - now
        conn.execute("INSERT INTO gcra (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                     "SET tat = excluded.tat", (f"{rule.name}:{key}", tat + rule.interval))
        return 0.0
    finally:
        conn.execute("COMMIT")


def _file_connection(path: Path) -> sqlite3.Connection:
    conns: dict[str, sqlite3.Connection] = _local.__dict__.setdefault("conns", {})
    conn = conns.get(str(path))
    if conn is None:
        conn = sqlite3.connect(path, timeout=2.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS gcra (key TEXT PRIMARY KEY, tat REAL NOT NULL)")
        path.chmod(0o600)
        conns[str(path)] = conn
    return conn
