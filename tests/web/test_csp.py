"""The dashboard works under its Content-Security-Policy: no page trips it, and what used
inline styles (level colours, occupancy bars) still shows."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.web.conftest import Web

PAGES = ["/dashboard/", "/dashboard/search?q=a", "/dashboard/zones", "/dashboard/alerts",
         "/admin/attendees", "/admin/setup", "/admin/devices", "/admin/users", "/admin/keys"]


def test_no_page_violates_the_policy(admin_page: Page, web: Web) -> None:
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(f"{admin_page.url}: {message.text}")

    admin_page.on("console", on_console)
    admin_page.on("pageerror", lambda exc: violations.append(f"{admin_page.url}: {exc}"))
    person = web.new_attendee("Policy Person")
    for path in [*PAGES, f"/dashboard/attendees/{person['id']}"]:
        response = admin_page.goto(f"{web.url}{path}")
        assert response is not None and response.ok, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        admin_page.wait_for_load_state("load")
    # A device's enrolment QR is a data: image, allowed by img-src.
    admin_page.goto(f"{web.url}/admin/devices")
    admin_page.get_by_label("Name").first.fill("CSP laptop")
    admin_page.get_by_role("button", name="Create").first.click()
    expect(admin_page.locator("img[src^='data:image/svg+xml']")).to_be_visible()
    assert not violations, violations


def test_colours_and_bars_without_inline_styles(admin_page: Page, web: Web) -> None:
    admin_page.goto(f"{web.url}/admin/setup")
    swatch = admin_page.locator(".swatch[data-bg]").first
    expect(swatch).to_be_visible()
    colour = swatch.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour not in ("", "rgba(0, 0, 0, 0)", "transparent")
    admin_page.goto(f"{web.url}/dashboard/")
    bar = admin_page.locator(".bar[data-width]").first
    expect(bar).to_be_attached()
    assert bar.evaluate("el => el.style.width").endswith("%")
