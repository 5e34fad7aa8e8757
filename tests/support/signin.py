"""A dashboard session over ``requests`` (no browser): a new user of a role, signed in
through the real login form with its CSRF token."""

from __future__ import annotations

import re
import uuid

import requests

from tests.support.inproc import AppServer

PASSWORD = "correct horse battery staple 9"


def signed_in(server: AppServer, role: str) -> requests.Session:
    email = f"{role}-{uuid.uuid4().hex[:8]}@admit.local"
    server.cli("create-user", "--email", email, "--password", PASSWORD, "--role", role)
    web = server.session(None)
    found = re.search(r'name="csrf_token" value="([^"]+)"', web.get(f"{server.url}/login").text)
    assert found is not None
    answer = web.post(f"{server.url}/login", allow_redirects=False, data={
        "csrf_token": found.group(1), "email": email, "password": PASSWORD})
    assert answer.status_code in (302, 303), answer.text
    return web
