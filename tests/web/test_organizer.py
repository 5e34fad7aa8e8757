"""The organizer's day in real Chromium: a new event in its own time zone, its zones,
gates and levels, an import, a revoke with its reason found again in the audit log, the
pages in Chinese (screenshots) and on a 390 px phone (no sideways scrolling)."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from tests.support.tools import artifact
from tests.web.conftest import PASSWORD, Web

TZ = "America/Sao_Paulo"


def _create_event(page: Page, web: Web, name: str) -> None:
    start = dt.datetime.now(ZoneInfo(TZ)).date()
    page.goto(f"{web.url}/dashboard/events")
    form = page.locator("#new-event")
    form.get_by_label("Event name").fill(name)
    form.get_by_label("Venue").fill("Expo Center Norte")
    form.get_by_label("Time zone").fill(TZ)
    form.get_by_label("First day").fill(start.isoformat())
    form.get_by_label("Last day").fill((start + dt.timedelta(days=2)).isoformat())
    form.get_by_role("button", name="Create event").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)  # its setup page


def _build_setup(page: Page) -> None:
    page.locator("#z-name").fill("Pavilion A")
    page.locator("#z-name").locator("xpath=ancestor::form").get_by_role("button").click()
    page.locator("#g-name").fill("Pavilion A Door")
    page.locator("#g-zone").select_option("Pavilion A")
    page.locator("#g-name").locator("xpath=ancestor::form").get_by_role("button").click()
    page.locator("#l-name").fill("Visitor")
    page.get_by_label("Pavilion A").check()
    page.locator("#l-days").fill("1,2,3")
    page.locator("#l-name").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator("main")).to_contain_text("Visitor")


def _no_overflow(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert wide <= inner, f"{page.url}: {wide} px wide in a {inner} px window"


def test_organizers_day(admin_page: Page, browser: Browser, web: Web, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = admin_page
    name = f"Feira {uuid.uuid4().hex[:5]}"
    _create_event(page, web, name)
    expect(page.locator("#event-select option:checked")).to_have_text(name)
    _build_setup(page)
    # Import into the new event (it is the session's event now).
    csv = tmp_path / "guests.csv"
    tag = uuid.uuid4().hex[:6]
    csv.write_text(f"name,email,access_level\nAna Souza,ana-{tag}@feira.example,Visitor\n"
                   f"王小明,wang-{tag}@feira.example,Visitor\n", encoding="utf-8")
    page.goto(f"{web.url}/admin/attendees")
    page.locator("#file").set_input_files(str(csv))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("main")).to_contain_text("2")
    page.get_by_role("button", name="Issue badges to everyone without one").click()
    # The API, asked for this event, sees the import; the default event does not.
    events = web.api("admin").get(f"{web.url}/api/v1/events").json()["events"]
    eid = next(e["id"] for e in events if e["name"] == name)
    found = web.api("admin").get(f"{web.url}/api/v1/attendees",
                                 params={"q": "wang xiaoming", "event": eid}).json()
    assert found["total"] == 1
    assert web.api("admin").get(f"{web.url}/api/v1/attendees",
                                params={"q": f"ana-{tag}"}).json()["total"] == 0
    person = found["attendees"][0]
    # A walk-in: registered, badge issued and printed in one step (the PDF is what the
    # print dialog opens).
    page.goto(f"{web.url}/dashboard/walk-in")
    page.get_by_label("Full name").fill("Walk In Guest")
    page.get_by_label("Email", exact=True).fill(f"walkin-{tag}@feira.example")
    with page.expect_response(lambda r: r.url.endswith("/badge.pdf")) as pdf:
        page.get_by_role("button", name="Register and issue badge").click()
    assert pdf.value.status == 200
    assert pdf.value.headers["content-type"] == "application/pdf"
    # The viewer keeps the body to itself: fetch it again with the page's cookies.
    assert page.request.get(pdf.value.url).body().startswith(b"%PDF")
    expect(page.locator("#badge-pdf")).to_be_visible()
    # Revoke with a reason and a confirmation; the audit page shows it.
    page.goto(f"{web.url}/dashboard/attendees/{person['id']}")
    page.get_by_label("Reason for revoking").fill("duplicate registration")
    page.locator("#revoke-confirm").check()
    page.get_by_role("button", name="Revoke badge").click()
    expect(page.locator("#badge-status")).to_contain_text("revoked")
    page.goto(f"{web.url}/dashboard/audit?action=badge.revoke")
    expect(page.locator("#audit")).to_contain_text("duplicate registration")
    # Rename a gate and deactivate a zone on the edit page.
    page.goto(f"{web.url}/dashboard/setup/edit")
    page.get_by_label("Gate name").fill("Pavilion A Main Door")
    page.get_by_label("Gate name").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.get_by_label("Gate name")).to_have_value("Pavilion A Main Door")
    # Chinese: three pages, looked at by a person (tests/artifacts).
    page.locator("#lang-select").select_option("zh")
    page.locator("#lang-select").locator("xpath=ancestor::form").get_by_role("button").click()
    for path, shot in (("/dashboard/events", "zh-events.png"), ("/dashboard/audit", "zh-audit.png"),
                       ("/dashboard/setup/edit", "zh-setup-edit.png")):
        page.goto(f"{web.url}{path}")
        page.screenshot(path=str(artifact(shot)), full_page=True)
    expect(page.locator("h1")).to_contain_text("修改活动设置")


def test_phone_width_has_no_sideways_scrolling(browser: Browser, web: Web) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{web.url}/login")
        page.get_by_label("Email").fill(web.security)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{web.url}/dashboard/")
        person = web.new_attendee("Fatima Al-Zahrani Longname Withmanyparts")
        web.issue_badge(int(person["id"]))
        for path in ("/dashboard/", f"/dashboard/attendees/{person['id']}",
                     "/dashboard/search?q=a"):
            page.goto(f"{web.url}{path}")
            _no_overflow(page)
        page.screenshot(path=str(artifact("phone-search.png")), full_page=True)
    finally:
        context.close()
