"""The dashboard in a real browser against a real server process."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import requests
from playwright.sync_api import Browser, Page, expect

from tests.support.factories import new_attendee, new_badge, scan
from tests.support.tools import artifact

from .conftest import PASSWORD, Web, login

ENTRANCE = "VIP Lounge Entrance"
OTHER_ENTRANCE = "Press Center Entrance"
HALL_ENTRANCE = "Opening Ceremony Hall Entrance"  # no re-entry: anti-passback applies


def _zone_id(web: Web, name: str) -> int:
    zones = web.api("admin").get(f"{web.url}/api/v1/zones", timeout=10).json()["zones"]
    return next(int(z["id"]) for z in zones if z["name"] == name)


def test_login_lands_on_overview_and_search_finds_a_chinese_name(admin_page: Page, web: Web) -> None:
    new_attendee(web.server, name="黄晓明")
    new_attendee(web.server, name="Jérôme Bézier")
    expect(admin_page.get_by_role("heading", name="Occupancy now")).to_be_visible()
    admin_page.get_by_role("link", name="Search").click()
    admin_page.get_by_label("Name, organization, badge number or code").fill("黄晓明")
    admin_page.keyboard.press("Enter")
    expect(admin_page.locator("#results")).to_contain_text("黄晓明")
    # Accent- and case-insensitive: plain ASCII finds the accented name.
    admin_page.get_by_label("Name, organization, badge number or code").fill("jerome bezier")
    admin_page.keyboard.press("Enter")
    expect(admin_page.locator("#results")).to_contain_text("Jérôme Bézier")


def test_chinese_ui_is_chosen_by_the_user(admin_page: Page) -> None:
    admin_page.get_by_label("Language").select_option("zh")
    admin_page.get_by_role("button", name="Change").click()
    expect(admin_page.get_by_role("heading", name="当前在场人数")).to_be_visible()
    admin_page.get_by_label("语言").select_option("en")
    admin_page.get_by_role("button", name="切换").click()
    expect(admin_page.get_by_role("heading", name="Occupancy now")).to_be_visible()


def test_revoke_in_the_ui_denies_the_next_scan(security_page: Page, web: Web) -> None:
    badge = new_badge(web.server, name="李娜")
    security_page.goto(f"{web.url}/dashboard/attendees/{badge.attendee_id}")
    security_page.get_by_label("Reason for revoking").fill("reported lost")
    security_page.get_by_role("button", name="Revoke badge").click()
    # Unconfirmed, the browser refuses the form: the badge stays active.
    expect(security_page.locator("#badge-status")).to_contain_text("active")
    security_page.locator("#revoke-confirm").check()
    security_page.get_by_role("button", name="Revoke badge").click()
    expect(security_page.locator("#badge-status")).to_contain_text("revoked")
    expect(security_page.locator("#record")).to_contain_text("reported lost")
    result = scan(web.server, badge.code, ENTRANCE)
    assert (result["verdict"], result["reason"]) == ("deny", "revoked")


def test_occupancy_changes_on_the_open_page_without_reload(admin_page: Page, web: Web) -> None:
    badge = new_badge(web.server, name="Nguyễn Văn An")
    cell = admin_page.locator(f"#occ-{_zone_id(web, 'VIP Lounge')}")
    before = int(cell.inner_text())
    admin_page.evaluate("window.__sameDocument = true")
    assert scan(web.server, badge.code, ENTRANCE)["verdict"] == "admit"
    expect(cell).to_have_text(str(before + 1), timeout=15_000)
    assert admin_page.evaluate("window.__sameDocument") is True  # no reload happened
    expect(admin_page.locator("#rate-now")).not_to_have_text("0", timeout=10_000)
    admin_page.screenshot(path=str(artifact("web-overview.png")), full_page=True)
    admin_page.goto(f"{web.url}/dashboard/attendees/{badge.attendee_id}")
    expect(admin_page.locator("#where-now")).to_contain_text("VIP Lounge")
    expect(admin_page.locator("#history")).to_contain_text(ENTRANCE)
    admin_page.screenshot(path=str(artifact("web-attendee.png")), full_page=True)


def test_offline_double_admit_raises_an_alert_security_acknowledges(
        security_page: Page, web: Web) -> None:
    badge = new_badge(web.server, name="Ayşe Yılmaz")
    now = dt.datetime.now(dt.UTC)
    # Two laptops at the hall's entrance, both offline: the second admit is a conflict.
    scans = [{"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": HALL_ENTRANCE,
              "offline_verdict": "admit", "offline_reason": "ok",
              "scanned_at": (now - dt.timedelta(seconds=40 - i)).isoformat()} for i in (0, 1)]
    response = web.api("gate").post(f"{web.url}/api/v1/scans/batch", json={"scans": scans},
                                    timeout=10)
    assert response.ok, response.text
    security_page.get_by_role("link", name="Alerts").click()
    alert = security_page.locator("article.alert", has_text="Ayşe Yılmaz")
    # In plain words, naming both gates and both devices (here the same laptop twice).
    expect(alert).to_contain_text("Admitted twice while offline")
    expect(alert).to_contain_text(f"at {HALL_ENTRANCE} (test gate) and at {HALL_ENTRANCE} (test gate)")
    security_page.screenshot(path=str(artifact("web-alert.png")), full_page=True)
    alert.get_by_label("Note").fill("checked with gate staff")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(security_page.locator("#acknowledged")).to_contain_text(f"acknowledged by {web.security}")


def test_who_is_inside_a_zone(security_page: Page, web: Web) -> None:
    badge = new_badge(web.server, name="Ольга Лебедева")
    assert scan(web.server, badge.code, OTHER_ENTRANCE)["verdict"] == "admit"
    security_page.goto(f"{web.url}/dashboard/zones")
    security_page.get_by_role("link", name="Press Center").click()
    expect(security_page.locator("#inside")).to_contain_text("Ольга Лебедева")


def test_security_cannot_open_admin_pages(security_page: Page, web: Web) -> None:
    expect(security_page.get_by_role("link", name="Users")).to_have_count(0)
    for path in ("/admin/users", "/admin/devices", "/admin/attendees", "/admin/setup", "/admin/keys"):
        response = security_page.goto(web.url + path)
        assert response is not None and response.status == 403, path
        expect(security_page.get_by_role("heading", name=re.compile("403"))).to_be_visible()


def _signed_in_session(web: Web, email: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{web.url}/login").text)
    assert token is not None
    response = s.post(f"{web.url}/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": token.group(1)})
    assert response.url.endswith("/dashboard/"), response.text[:500]
    page = s.get(f"{web.url}/dashboard/").text
    fresh = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert fresh is not None
    return s, fresh.group(1)


def test_form_and_api_posts_without_csrf_token_are_refused(web: Web) -> None:
    badge = new_badge(web.server, name="Emily Johnson")
    assert requests.post(f"{web.url}/login", data={"email": web.admin, "password": PASSWORD},
                         timeout=10).status_code == 400
    s, token = _signed_in_session(web, web.admin)
    url = f"{web.url}/dashboard/attendees/{badge.attendee_id}/revoke"
    assert s.post(url, data={"reason": "csrf"}, timeout=10).status_code == 400
    assert s.post(url, data={"reason": "csrf", "csrf_token": "forged"}, timeout=10).status_code == 400
    assert s.post(f"{web.url}/admin/users", timeout=10,
                  data={"email": "evil@web.test", "password": "x" * 10, "role": "admin"}).status_code == 400
    api = f"{web.url}/api/v1/badges/{badge.badge_id}/revoke"
    refused = s.post(api, json={"reason": "csrf"}, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    assert s.get(f"{web.url}/api/v1/badges/{badge.badge_id}", timeout=10).json()["status"] == "active"
    accepted = s.post(api, json={"reason": "page js"}, headers={"X-CSRFToken": token}, timeout=10)
    assert accepted.status_code == 200 and accepted.json()["status"] == "revoked"


def test_repeated_failed_logins_lock_the_account(browser: Browser, web: Web) -> None:
    s = requests.Session()
    for _ in range(5):
        token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{web.url}/login").text)
        assert token is not None
        wrong = s.post(f"{web.url}/login", timeout=10, data={
            "email": "locked@web.test", "password": "wrong password", "csrf_token": token.group(1)})
        assert wrong.status_code == 401
    page = browser.new_page()
    try:
        page.goto(f"{web.url}/login")
        page.get_by_label("Email").fill("locked@web.test")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        # Locked answers exactly like a wrong password: the page confirms no account state.
        expect(page.locator("#login-error")).to_contain_text("Wrong email or password")
        assert "/login" in page.url
    finally:
        page.close()
    # Other accounts are not affected.
    login(browser, web, web.admin).context.close()


def test_email_badge_button_writes_one_message_to_the_outbox(security_page: Page, web: Web) -> None:
    badge = new_badge(web.server, name="Zoë Schäfer")
    outbox = web.server.instance / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    security_page.goto(f"{web.url}/dashboard/attendees/{badge.attendee_id}")
    security_page.get_by_role("button", name="Email badge").click()
    expect(security_page.get_by_text("Badge email sent.")).to_be_visible()
    new = set(outbox.glob("*.eml")) - before
    assert len(new) == 1 and f"-a{badge.attendee_id}-r1@" in new.pop().name


def test_supervisor_force_admit_from_the_attendee_page(security_page: Page, web: Web) -> None:
    badge = new_badge(web.server, name="Айгерим Сапарова", access_level="Exhibitor")
    security_page.goto(f"{web.url}/dashboard/attendees/{badge.attendee_id}")
    security_page.get_by_label("Entrance").select_option("VIP Lounge Entrance")
    security_page.get_by_label("Reason for the override").fill("escort for the minister")
    security_page.get_by_role("button", name="Force admit").click()
    expect(security_page.get_by_text("Override recorded.")).to_be_visible()
    expect(security_page.locator("#where-now")).to_contain_text("VIP Lounge")
    expect(security_page.locator("#history")).to_contain_text("escort for the minister")
    security_page.screenshot(path=str(artifact("web-override.png")), full_page=True)
