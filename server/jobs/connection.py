"""The Redis connection: one client per URL and process (redis-py pools its sockets)."""

from __future__ import annotations

import threading

from redis import Redis

_clients: dict[tuple[str, float | None], Redis] = {}
_lock = threading.Lock()


def redis_client(url: str, timeout: float | None = 5.0) -> Redis:
    """A shared client; ``timeout`` bounds connect and every command, so a dead Redis
    fails a request or a readiness probe instead of hanging it."""
    key = (url, timeout)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                    health_check_interval=30)
            _clients[key] = client
    return client
