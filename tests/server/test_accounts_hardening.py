"""Accounts and sessions on a real server, both databases: the lockout holds under
parallel guessing, signing out ends the session server-side, cookies carry no hash."""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.dashboard import csrf_token, db_rows, form_post, post_login, signed_in
from tests.support.live import LiveServer

PASSWORD = "violet kettle harbour"
PARALLEL = 40
TOKENS = re.compile(r'(value|content)="[A-Za-z0-9_-]{32,}"')  # per-session CSRF tokens


@pytest.fixture(scope="module")
def server(db_kind: str) -> Iterator[LiveServer]:
    # The per-address limit is tested on its own server: here forty guesses must reach
    # the lockout logic, which is what this module is about.
    live = LiveServer(db_kind, attendees=5, threads=PARALLEL // 2,
                      env={"LOGIN_RATE_LIMIT": "1000 per minute"}).start()
    yield live
    live.stop()


def _user(server: LiveServer, role: str = "admin") -> str:
    email = f"u{uuid.uuid4().hex[:8]}@accounts.test"
    server.setup_cli("create-user", "--email", email, "--password", PASSWORD, "--role", role)
    return email


def test_parallel_wrong_logins_run_exactly_five_password_checks(server: LiveServer) -> None:
    email = _user(server)
    barrier = threading.Barrier(PARALLEL)

    def guess(i: int) -> int:
        s = requests.Session()
        csrf = csrf_token(s, f"{server.url}/login")  # each guesser's own session first
        barrier.wait(timeout=60)
        return s.post(f"{server.url}/login", timeout=60, allow_redirects=False,
                      data={"email": email, "password": f"wrong guess {i}", "csrf_token": csrf}
                      ).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = list(pool.map(guess, range(PARALLEL)))
    assert statuses == [401] * PARALLEL, server.log_path.read_text()[-3000:]  # type: ignore[union-attr]
    user_id = db_rows(server, "SELECT id FROM users WHERE email = :e", e=email)[0][0]
    failures = db_rows(server, "SELECT details FROM audit_log WHERE action = 'user.login_failed' "
                               "AND target = :t", t=f"user:{user_id}")
    reasons = [json.loads(d)["why"] if isinstance(d, str) else d["why"] for (d,) in failures]
    assert reasons.count("wrong_password") == 5, reasons  # exactly five hashes were checked
    assert reasons.count("locked") == PARALLEL - 5
    # Locked now: even the right password is refused, with the wrong-password answer.
    locked = post_login(server, email, PASSWORD)
    assert locked.status_code == 401 and "Wrong email or password" in locked.text
    assert db_rows(server, "SELECT locked_until FROM users WHERE id = :i", i=user_id)[0][0]


def test_unknown_locked_and_wrong_answer_alike(server: LiveServer) -> None:
    email, locked_email = _user(server), _user(server)
    for i in range(5):
        assert post_login(server, locked_email, f"guess {i}").status_code == 401
    nobody = f"nobody.{uuid.uuid4().hex[:6]}@accounts.test"
    answers = {
        "wrong": (post_login(server, email, "not the password at all"), email),
        "unknown": (post_login(server, nobody, PASSWORD), nobody),
        "locked": (post_login(server, locked_email, PASSWORD), locked_email),
    }
    pages = {kind: TOKENS.sub("", answer.text.replace(typed, "E"))
             for kind, (answer, typed) in answers.items()}
    assert {answer.status_code for answer, _ in answers.values()} == {401}
    assert pages["wrong"] == pages["unknown"] == pages["locked"]
    assert "Wrong email or password" in pages["wrong"]


def _cookie_payload(s: requests.Session) -> dict[str, object]:
    raw = s.cookies["session"]
    compressed = raw.startswith(".")
    body = raw.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return dict(json.loads(zlib.decompress(data) if compressed else data))


def test_logout_ends_the_session_on_the_server(server: LiveServer) -> None:
    email = _user(server)
    s = signed_in(server, email, PASSWORD)
    old_cookie = s.cookies["session"]
    payload = _cookie_payload(s)
    stored_hash = db_rows(server, "SELECT password_hash FROM users WHERE email = :e", e=email)[0][0]
    assert "auth_version" not in payload
    assert not any(str(v) in stored_hash for v in payload.values() if len(str(v)) >= 6)

    zone_api = f"{server.url}/api/v1/zones"
    csrf = s.get(f"{server.url}/dashboard/", timeout=10).text.split('name="csrf-token" content="')[1].split('"')[0]
    assert s.post(zone_api, json={"name": f"Z {uuid.uuid4().hex[:6]}"},
                  headers={"X-CSRFToken": csrf}, timeout=10).status_code == 201

    assert form_post(s, server, "/logout", {}, "/dashboard/").status_code == 302
    replay = requests.Session()
    replay.cookies.set("session", old_cookie)
    page = replay.get(f"{server.url}/dashboard/", allow_redirects=False, timeout=10)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    write = replay.post(zone_api, json={"name": f"Z {uuid.uuid4().hex[:6]}"},
                        headers={"X-CSRFToken": csrf}, timeout=10)
    assert write.status_code == 401


def test_password_change_ends_older_sessions(server: LiveServer) -> None:
    email = _user(server, role="security")
    s = signed_in(server, email, PASSWORD)
    assert s.get(f"{server.url}/dashboard/", allow_redirects=False, timeout=10).status_code == 200
    server.cli("create-user", "--email", email, "--password", "a brand new passphrase",
               "--role", "security")
    assert s.get(f"{server.url}/dashboard/", allow_redirects=False, timeout=10).status_code == 302
    assert s.get(f"{server.url}/api/v1/alerts", timeout=10).status_code == 401


def test_cookie_secure_only_over_https(server: LiveServer) -> None:
    email = _user(server)
    plain = post_login(server, email, PASSWORD)
    assert plain.status_code == 302 and "secure" not in plain.headers["Set-Cookie"].lower()
    # No proxy is configured here, so a client's X-Forwarded-Proto is not believed.
    forged = post_login(server, email, PASSWORD, **{"X-Forwarded-Proto": "https"})
    assert "secure" not in forged.headers["Set-Cookie"].lower()
    assert "Strict-Transport-Security" not in forged.headers


@pytest.mark.parametrize(("email", "password", "fragment"), [
    ("not-an-address", "long enough passphrase", "email"),
    ("someone@nodot", "long enough passphrase", "email"),
    ("fine@accounts.test", "short pass", "12 characters"),
    ("fine@accounts.test", "qwerty123456", "too common"),
    ("fine@accounts.test", "1q2w3e4r5t6y", "too common"),
])
def test_users_need_a_valid_email_and_a_strong_password(
        server: LiveServer, email: str, password: str, fragment: str) -> None:
    out = server.cli("create-user", "--email", email, "--password", password, "--role", "admin",
                     check=False)
    assert fragment in out
    assert not db_rows(server, "SELECT id FROM users WHERE email = :e", e=email.lower())


def test_seeded_demo_login_keeps_working(server: LiveServer) -> None:
    # A fresh seed passes the user rules with admin@admit.local (a special-use domain)...
    fresh = LiveServer("sqlite", attendees=3)
    try:
        out = fresh.cli("seed-demo", "--attendees", "3")
    finally:
        fresh.stop()
    line = next(x for x in out.splitlines() if x.startswith("admin login: admin@admit.local"))
    assert len(line.rsplit(" / ", 1)[1]) >= 12
    # ... and that address signs in on a running server.
    server.cli("set-password", "--email", "admin@admit.local", "--password", PASSWORD)
    assert post_login(server, "admin@admit.local", PASSWORD).status_code == 302
