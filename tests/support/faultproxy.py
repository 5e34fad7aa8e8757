"""A loopback TCP proxy whose failure mode a test sets at any moment.

Modes, applied to each new connection:
- ``pass``: forward both ways.
- ``refuse``: nothing listens on the port (connect gets ECONNREFUSED).
- ``blackhole``: accept, read and discard, never answer (the common dead link).
- ``slow``: forward, but hold every chunk from the server for ``delay_s``.
- ``trickle``: forward the server's answer one byte every ``delay_s``.
- ``flapping``: ``pass`` and ``blackhole`` alternate every ``period_s``.
- ``stall``: ``blackhole`` for new connections, and the open ones go silent too (bytes
  are taken and dropped both ways): a database that stops answering mid-connection.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

MODES = ("pass", "refuse", "blackhole", "slow", "trickle", "flapping", "stall")


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host  # where it listens (a network-namespace test needs a bridge address)
        self.mode = "pass"
        self.delay_s = 0.5
        self.period_s = 1.0
        self.connections = 0
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._epoch = time.monotonic()
        self._socks: list[socket.socket] = []
        self._stalled = threading.Event()  # open connections drop what they carry
        probe = socket.socket()
        probe.bind((host, 0))
        self.port = int(probe.getsockname()[1])
        probe.close()
        self._listen()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def set_mode(self, mode: str, **options: Any) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        for name, value in options.items():
            setattr(self, name, value)
        with self._lock:
            self.mode = mode
            self._epoch = time.monotonic()
            if mode == "stall":
                self._stalled.set()
            else:
                self._stalled.clear()
            if mode == "refuse" and self._listener is not None:
                # close() alone does not wake a thread blocked in accept(), and the port
                # would keep accepting; shutdown() stops the listen for real.
                _close(self._listener)
                self._listener = None
        if mode != "refuse":
            self._listen()

    def drop_connections(self) -> None:
        """Close every open connection (a restarted or crashed server's clients see EOF)."""
        with self._lock:
            socks, self._socks = self._socks, []
        for sock in socks:
            _close(sock)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            if self._listener is not None:
                _close(self._listener)
                self._listener = None
            for sock in self._socks:
                _close(sock)

    def _listen(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def _effective_mode(self) -> str:
        if self.mode != "flapping":
            return self.mode
        phase = int((time.monotonic() - self._epoch) / self.period_s) % 2
        return "pass" if phase == 0 else "blackhole"

    def _accept(self, listener: socket.socket) -> None:
        while not self._closed.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return  # listener closed (refuse mode or shutdown)
            self.connections += 1
            with self._lock:
                self._socks.append(client)
            mode = self._effective_mode()
            threading.Thread(target=self._serve, args=(client, mode), daemon=True).start()

    def _serve(self, client: socket.socket, mode: str) -> None:
        if mode in ("blackhole", "stall"):
            _drain(client)
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._socks.append(upstream)
        threading.Thread(target=_pump, args=(client, upstream, "pass", 0.0, self._stalled),
                         daemon=True).start()
        _pump(upstream, client, mode, self.delay_s, self._stalled)


def _pump(src: socket.socket, dst: socket.socket, mode: str, delay_s: float,
          stalled: threading.Event | None = None) -> None:
    try:
        src.settimeout(None)
        while True:
            data = src.recv(65536)
            if not data:
                break
            if stalled is not None and stalled.is_set():
                continue  # taken and dropped: the other side hears nothing
            if mode == "slow":
                time.sleep(delay_s)  # simulated link latency, not synchronisation
                dst.sendall(data)
            elif mode == "trickle":
                for i in range(len(data)):
                    dst.sendall(data[i : i + 1])
                    time.sleep(delay_s)
            else:
                dst.sendall(data)
    except OSError:
        pass
    finally:
        _close(dst)
        _close(src)


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
    finally:
        _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
