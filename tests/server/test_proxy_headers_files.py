"""Behind a proxy: per-address login limits shared by every worker, Secure cookies and
HSTS over HTTPS; security headers on every response; private files on disk."""

from __future__ import annotations

import os
import socket
import stat
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from server.security import csp, policy_for
from tests.support.dashboard import csrf_token, db_rows, post_login
from tests.support.live import LiveServer

LIMIT = 5
TRIES = 16


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module", params=["file", "redis"])
def proxied(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """Two workers behind one (pretended) proxy; the limit storage is the parameter."""
    env = {"PROXY_COUNT": "1", "LOGIN_RATE_LIMIT": f"{LIMIT} per minute"}
    if request.param == "redis":
        if not _redis_up():
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        env["REDIS_URL"] = "redis://127.0.0.1:6379/7"
    live = LiveServer("sqlite", attendees=3, workers=2, threads=TRIES, env=env).start()
    yield live
    live.stop()


def _parallel_logins(server: LiveServer, address: str) -> list[int]:
    barrier = threading.Barrier(TRIES)

    def attempt(i: int) -> int:
        s = requests.Session()  # a connection each, spread over both workers
        token = csrf_token(s, f"{server.url}/login")
        barrier.wait(timeout=60)
        return s.post(f"{server.url}/login", timeout=60, allow_redirects=False,
                      headers={"X-Forwarded-For": address},
                      data={"email": f"nobody{i}@proxy.test", "password": "wrong password 1",
                            "csrf_token": token}).status_code

    with ThreadPoolExecutor(TRIES) as pool:
        return list(pool.map(attempt, range(TRIES)))


def test_login_limit_per_client_address_shared_by_workers(proxied: LiveServer) -> None:
    # A fresh address each run: Redis keeps its counters between runs.
    first = "10." + ".".join(str(b) for b in uuid.uuid4().bytes[:3])
    statuses = _parallel_logins(proxied, first)
    # Exactly LIMIT attempts got through: both workers count in one place.
    assert statuses.count(401) == LIMIT and statuses.count(429) == TRIES - LIMIT, statuses
    # The address is the proxy's client, not the proxy: another client is not limited.
    other = post_login(proxied, "nobody@proxy.test", "wrong password 2",
                       **{"X-Forwarded-For": "10." + ".".join(str(b) for b in uuid.uuid4().bytes[:3])})
    assert other.status_code == 401


def test_https_through_the_proxy_marks_the_cookie_secure(proxied: LiveServer) -> None:
    email = f"p{uuid.uuid4().hex[:6]}@proxy.test"
    proxied.setup_cli("create-user", "--email", email, "--password", "proxy passphrase 1",
                "--role", "admin")
    https = post_login(proxied, email, "proxy passphrase 1", **{
        "X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.50"})
    assert https.status_code == 302
    assert "; secure" in https.headers["Set-Cookie"].lower()
    assert https.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = post_login(proxied, email, "proxy passphrase 1", **{"X-Forwarded-For": "192.0.2.51"})
    assert "; secure" not in plain.headers["Set-Cookie"].lower()
    assert "Strict-Transport-Security" not in plain.headers


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/healthz",
                                  "/static/admit.css", "/api/v1/zones", "/no-such-page"])
def test_security_headers_on_every_response(live_server: LiveServer, path: str) -> None:
    answer = requests.get(f"{live_server.url}{path}", timeout=10)
    policy = answer.headers["Content-Security-Policy"]
    for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'self'",
                      "frame-ancestors 'self'", "style-src 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in answer.headers  # plain HTTP


def test_a_view_widens_its_own_policy_only() -> None:
    @csp(script_src="'wasm-unsafe-eval'")
    def scanner_page() -> str:
        return ""

    widened, plain = policy_for(scanner_page), policy_for(None)
    assert "script-src 'self' 'wasm-unsafe-eval'" in widened
    assert "wasm-unsafe-eval" not in plain and "object-src 'none'" in widened


def _mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_instance_files_are_private_and_keys_encrypted() -> None:
    server = LiveServer("sqlite", attendees=3, env={"SECRET_KEY": ""})
    # An older version left its secret world-readable: it is tightened, not replaced.
    server.instance.mkdir(parents=True, exist_ok=True)
    old_secret = server.instance / "secret_key"
    old_secret.write_text("secret-from-an-older-version")
    old_secret.chmod(0o644)
    try:
        server.start()
        requests.get(f"{server.url}/login", timeout=10)  # a session is signed with it
        for name in ("admit.db", "admit.db-wal", "secret_key", "key_encryption_key",
                     "ratelimit.sqlite3"):
            path = server.instance / name
            if name == "ratelimit.sqlite3" and not path.exists():
                post_login(server, "nobody@files.test", "wrong password 3")
            assert _mode(str(path)) == 0o600, name
        assert old_secret.read_text() == "secret-from-an-older-version"
        keys = db_rows(server, "SELECT encrypted, private_key FROM signing_keys")
        assert keys and all(encrypted and len(bytes(raw)) > 32 for encrypted, raw in keys)
        # The key-encryption key opens them: badges are still signed.
        admin = server.session("admin")
        person = admin.get(f"{server.url}/api/v1/attendees", params={"limit": 1}, timeout=10).json()
        issued = admin.post(f"{server.url}/api/v1/attendees/{person['attendees'][0]['id']}/badge",
                            timeout=10)
        assert issued.status_code == 201 and issued.json()["code"].startswith("ADM1")
    finally:
        server.stop()
