"""A real server (python -m server.serve on SQLite, seeded demo event) and Debian's chromium via Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support import factories
from tests.support.live import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery"


@dataclass
class Web:
    server: LiveServer
    admin: str
    security: str

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, role: str) -> requests.Session:
        return self.server.session(role)

    def new_attendee(self, name: str, level: str = "VIP Guest") -> dict[str, Any]:
        return factories.new_attendee(self.server, name=name, access_level=level)

    def issue_badge(self, attendee_id: int) -> dict[str, Any]:
        response = self.api("admin").post(f"{self.url}/api/v1/attendees/{attendee_id}/badge",
                                          timeout=10)
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture(scope="session")
def web() -> Iterator[Web]:
    server = LiveServer("sqlite", attendees=40).start()
    try:
        for email, role in (("admin@web.test", "admin"), ("security@web.test", "security"),
                            ("locked@web.test", "security")):
            server.setup_cli("create-user", "--email", email, "--password", PASSWORD,
                             "--role", role)
        yield Web(server, "admin@web.test", "security@web.test")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(web: Web) -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def login(browser: Browser, web: Web, email: str) -> Page:
    """A fresh browser context signed in as ``email``; returns its page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{web.url}/")
    assert "/login" in page.url
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{web.url}/dashboard/")
    return page


@pytest.fixture()
def admin_page(browser: Browser, web: Web) -> Iterator[Page]:
    page = login(browser, web, web.admin)
    yield page
    page.context.close()


@pytest.fixture()
def security_page(browser: Browser, web: Web) -> Iterator[Page]:
    page = login(browser, web, web.security)
    yield page
    page.context.close()
