"""Helpers for job tests: follow a job to its end over the API; sign in to the dashboard."""

from __future__ import annotations

import re
import time
from typing import Any

import requests

TERMINAL = ("done", "failed")


def wait_job(session: requests.Session, base_url: str, job_id: int,
             timeout_s: float = 120.0) -> dict[str, Any]:
    """Poll ``GET /api/v1/jobs/{id}`` until the job ends; the work happens in another
    process, so waiting on its recorded state is the synchronisation."""
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = session.get(f"{base_url}/api/v1/jobs/{job_id}", timeout=10).json()
        if job["state"] in TERMINAL or time.monotonic() > deadline:
            return job
        time.sleep(0.2)  # polling another process's progress, bounded by the deadline


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def dashboard_login(base_url: str, email: str, password: str) -> requests.Session:
    web = requests.Session()
    token = csrf_from(web.get(f"{base_url}/login", timeout=10).text)
    resp = web.post(f"{base_url}/login", data={"email": email, "password": password,
                                               "csrf_token": token}, timeout=10,
                    allow_redirects=False)
    assert resp.status_code == 302, resp.text
    return web
