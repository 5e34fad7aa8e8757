"""A minimal HTTP/1.1 JSON client whose every request ends by a wall-clock deadline.

Why not ``requests``: its timeouts are per socket operation, so a link that trickles
one byte every 200 ms keeps a 300 ms budget alive forever, and a thread abandoned at the
deadline still hangs on for its socket timeout. Here each connect, send and receive is
given only the time left until the deadline, so the whole attempt (connect + TLS + send +
read) cannot outlive it, and no thread is left behind.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from pydantic import BaseModel

from .errors import ScannerError, ServerUnreachable

_MAX_BODY = 256 * 1024 * 1024


class HttpStatusError(ScannerError):
    """The server answered, but with an error status (its envelope is kept)."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        super().__init__(f"Server said {status}", str(error.get("message") or "") or str(body)[:200])
        self.status = status
        self.body = body
        self.code: str | None = error.get("code") if isinstance(error.get("code"), str) else None
        self.headers = headers or {}

    @property
    def refused(self) -> bool:
        """The server understood the request and will never take it as it is (a 4xx that
        is neither a rate limit nor an authentication problem of the whole device)."""
        return 400 <= self.status < 500 and self.status not in (401, 403, 408, 429)

    @property
    def retry_after_s(self) -> int:
        """Retry-After in seconds (at least 1; a missing or HTTP-date value counts as 1)."""
        value = self.headers.get("retry-after", "")
        return max(1, int(value)) if value.isascii() and value.isdigit() else 1


@dataclass
class Response:
    status: int
    body: Any
    size: int


class DeadlineClient:
    """JSON over HTTP(S) to one server with a bearer token; one connection per request
    (a reused connection that the far side silently dropped is the classic stale-socket
    failure, and loopback or LAN connects cost well under a millisecond)."""

    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ScannerError("Bad server address", f"expected http(s)://host[:port], got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path
        self.token = token
        self._ssl = ssl.create_default_context() if self.tls else None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, Any] | None = None,
        timeout_s: float,
    ) -> Response:
        """Send and read the whole answer by ``now + timeout_s`` or raise ServerUnreachable."""
        deadline = time.monotonic() + timeout_s
        target = self.prefix + path
        if query:
            target += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        if isinstance(body, BaseModel):  # the shared schemas: the wire format is theirs
            payload = body.model_dump_json(exclude_none=True).encode()
        else:
            payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nAccept: application/json\r\n"
            f"Connection: close\r\nContent-Length: {len(payload)}\r\n"
            + ("Content-Type: application/json\r\n" if body is not None else "")
            + "\r\n"
        ).encode()
        try:
            raw = self._exchange(head + payload, deadline)
        except (OSError, ssl.SSLError) as exc:
            raise ServerUnreachable("Server unreachable", f"{type(exc).__name__}: {exc}") from exc
        status, headers, data = _parse(raw)
        try:
            parsed = json.loads(data) if data else None
        except ValueError as exc:
            raise ServerUnreachable("Bad answer", f"status {status}, body is not JSON") from exc
        if status >= 400:
            raise HttpStatusError(status, parsed, headers)
        return Response(status, parsed, len(raw))

    def _remaining(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left

    def _exchange(self, message: bytes, deadline: float) -> bytes:
        sock: socket.socket = socket.create_connection(
            (self.host, self.port), timeout=self._remaining(deadline)
        )
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ssl is not None:
                sock.settimeout(self._remaining(deadline))
                sock = self._ssl.wrap_socket(sock, server_hostname=self.host)
            sock.settimeout(self._remaining(deadline))
            sock.sendall(message)
            return self._read(sock, deadline)
        finally:
            sock.close()

    def _read(self, sock: socket.socket, deadline: float) -> bytes:
        buf = bytearray()
        expected: int | None = None
        while True:
            sock.settimeout(self._remaining(deadline))
            chunk = sock.recv(256 * 1024)
            if not chunk:
                return bytes(buf)
            buf += chunk
            if expected is None:
                end = buf.find(b"\r\n\r\n")
                if end >= 0:
                    expected = end + 4 + _content_length(bytes(buf[:end]))
            if expected is not None and len(buf) >= expected:
                return bytes(buf[:expected])
            if len(buf) > _MAX_BODY:
                raise OSError("answer too large")


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return _MAX_BODY  # no length: read until the server closes (we asked it to)


def _parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        raise ServerUnreachable("Bad answer", "connection closed before the headers ended")
    status_line = raw[: raw.find(b"\r\n")].split()
    try:
        status = int(status_line[1])
    except (IndexError, ValueError) as exc:
        raise ServerUnreachable("Bad answer", f"bad status line {status_line!r}") from exc
    head = raw[:end]
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    body = raw[end + 4 :]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    return status, headers, body


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        line_end = body.find(b"\r\n", pos)
        size = int(body[pos:line_end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[line_end + 2 : line_end + 2 + size]
        pos = line_end + 2 + size + 2
