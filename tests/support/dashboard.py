"""Dashboard sign-in over plain HTTP (requests), and reading the server's database."""

from __future__ import annotations

import re
from typing import Any

import requests
from sqlalchemy import create_engine, text

from tests.support.live import LiveServer

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(session: requests.Session, url: str) -> str:
    found = CSRF.search(session.get(url, timeout=10).text)
    assert found is not None, "the page carries a CSRF token"
    return found.group(1)


def post_login(server: LiveServer, email: str, password: str,
               session: requests.Session | None = None, **headers: str) -> requests.Response:
    s = session or requests.Session()
    token = csrf_token(s, f"{server.url}/login")
    return s.post(f"{server.url}/login", data={"email": email, "password": password,
                                               "csrf_token": token},
                  headers=headers, allow_redirects=False, timeout=30)


def signed_in(server: LiveServer, email: str, password: str) -> requests.Session:
    s = requests.Session()
    answer = post_login(server, email, password, s)
    assert answer.status_code == 302, answer.text[:500]
    return s


def form_post(s: requests.Session, server: LiveServer, path: str, data: dict[str, Any],
              page: str) -> requests.Response:
    """A dashboard form as a browser sends it: the page's CSRF token, the page as referrer."""
    token = csrf_token(s, f"{server.url}{page}")
    return s.post(f"{server.url}{path}", data={**data, "csrf_token": token},
                  headers={"Referer": f"{server.url}{page}"}, allow_redirects=False, timeout=30)


def db_rows(server: LiveServer, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()
