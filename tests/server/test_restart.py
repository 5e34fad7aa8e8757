"""Re-running the README's run command (database setup, demo seed) keeps data, logins and
devices: the first run's password and gate token still work afterwards."""

from __future__ import annotations

import re

import requests

from tests.support.live import LiveServer


def _sign_in(server: LiveServer, email: str, password: str) -> requests.Response:
    browser = requests.Session()
    page = browser.get(f"{server.url}/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf, page[:500]
    return browser.post(f"{server.url}/login", data={
        "email": email, "password": password, "csrf_token": csrf.group(1)},
        allow_redirects=False, timeout=10)


def test_running_twice_keeps_logins_devices_and_data() -> None:
    server = LiveServer("sqlite", attendees=5)
    try:
        server.cli("init-db")
        first = server.cli("seed-demo", "--attendees", "5")
        password = re.search(r"admin login: admin@admit\.local / (\S+)", first)
        token = re.search(r"gate device token .*: (adm_g_\S+)", first)
        assert password and token, first
        server.cli("init-db")
        second = server.cli("seed-demo", "--attendees", "5")
        assert "the demo exists" in second and "set-password" in second, second
        assert "login:" not in second and "adm_g_" not in second, second
        server.start()  # runs seed-demo a third time, as `make run` would
        signed_in = _sign_in(server, "admin@admit.local", password.group(1))
        assert signed_in.status_code == 302 and "/login" not in signed_in.headers["Location"]
        gate = requests.get(f"{server.url}/api/v1/gates", timeout=10,
                            headers={"Authorization": f"Bearer {token.group(1)}"})
        assert gate.status_code == 200
        admin = server.session("admin")
        devices = admin.get(f"{server.url}/api/v1/devices", timeout=10).json()["devices"]
        assert [d["name"] for d in devices].count("demo gate laptop") == 1
        attendees = admin.get(f"{server.url}/api/v1/attendees", timeout=10).json()
        assert attendees["total"] == 5
        # The reset the second run points to: a given password, then a prompted one.
        server.cli("set-password", "--email", "admin@admit.local", "--password", "new pass 123")
        assert _sign_in(server, "admin@admit.local", password.group(1)).status_code == 401
        assert _sign_in(server, "admin@admit.local", "new pass 123").status_code == 302
        server.cli("set-password", "--email", "admin@admit.local", input="prompted 456\nprompted 456\n")
        assert _sign_in(server, "admin@admit.local", "prompted 456").status_code == 302
        refused = server.cli("set-password", "--email", "nobody@x.org", "--password", "whatever1",
                             check=False)
        assert "no user nobody@x.org" in refused
    finally:
        server.stop()
