"""The browser scanner (/scan) in Debian's chromium with a fake camera playing badges the
server rendered: enrolment by link, online verdicts, a dead link (the page is served
through a fault proxy that is blackholed: Playwright's offline switch would not stop the
service worker), the queue draining when the link is back, revocation reaching the
offline cache, staff "check access", and the page under a strict CSP."""

from __future__ import annotations

import base64
import io
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, BrowserType, Page, expect

from shared import format_badge_number
from tests.support import fakecam
from tests.support.faultproxy import FaultProxy
from tests.support.tools import artifact
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, Web

GATE = "Prelude Hall Entrance"
expect.set_options(timeout=20_000)
PHONE = {"width": 390, "height": 844}


@pytest.fixture()
def proxy(web: Web) -> Iterator[FaultProxy]:
    upstream = urlsplit(web.url)
    fault = FaultProxy(upstream.hostname or "127.0.0.1", int(upstream.port or 80))
    yield fault
    fault.close()


@pytest.fixture()
def profile() -> Iterator[Path]:
    """One browser profile across launches: IndexedDB and the service worker persist, as on
    a phone; each launch plays another badge through the fake camera."""
    path = Path(tempfile.mkdtemp(prefix="admit-scan-profile-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture()
def chromium(browser: Browser) -> BrowserType:
    """The session's Playwright (one per process: a second sync one would clash)."""
    return browser.browser_type


def _phone(pw: BrowserType, profile: Path, video: Path | None) -> BrowserContext:
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    context = pw.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=args, headless=True, viewport=PHONE,
        locale="en-GB", permissions=["camera"])
    context.set_default_timeout(20_000)
    return context


def _qr(web: Web, badge_id: int) -> Image.Image:
    response = web.api("security").get(f"{web.url}/api/v1/badges/{badge_id}/qr.png", timeout=10)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content))


def _badge(web: Web, name: str, tmp: Path, pose: fakecam.Pose) -> tuple[dict[str, Any], Path]:
    person = web.new_attendee(name)
    badge = web.issue_badge(int(person["id"]))
    video = fakecam.badge_video(tmp / f"badge-{badge['id']}.y4m", _qr(web, int(badge["id"])), pose)
    return badge, video


def _enrol_link(origin: str, token: str, gate: str | None = GATE, server: str | None = None) -> str:
    data = json.dumps({"server": server or origin, "token": token, "gate": gate})
    return f"{origin}/scan?hold=0#enrol=" + base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def _device(web: Web, name: str) -> str:
    response = web.api("admin").post(f"{web.url}/api/v1/devices",
                                     json={"name": name, "role": "gate", "gate": GATE}, timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def _verdicts(page: Page, count: int) -> list[dict[str, Any]]:
    # Functions, not expression strings: Playwright evals those, which the CSP test forbids.
    page.wait_for_function("n => window.admitScan && window.admitScan.history.length >= n", arg=count)
    return list(page.evaluate("window.admitScan.history"))


def _open(context: BrowserContext, url: str) -> Page:
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    return page


def _scan_log(web: Web, badge_id: int) -> list[dict[str, Any]]:
    response = web.api("security").get(f"{web.url}/api/v1/scans", params={"badge": badge_id}, timeout=10)
    assert response.status_code == 200
    return list(response.json()["scans"])


def test_enrol_scan_offline_queue_and_revocation(web: Web, proxy: FaultProxy, profile: Path,
                                                 tmp_path: Path, chromium: BrowserType) -> None:
    first, video_a = _badge(web, "ليلى الهاشمي", tmp_path, fakecam.HELD)
    second, video_b = _badge(web, "黄晓明", tmp_path, fakecam.TILTED)
    third, video_c = _badge(web, "Jérôme Bézier", tmp_path, fakecam.SMALL)
    token = _device(web, "phone at the Prelude Hall")

    # 1. Enrol by the link, online: ADMIT with the name (Arabic, right to left), then
    # the same badge presented again after the 3 s window: already inside.
    context = _phone(chromium, profile, video_a)
    page = _open(context, _enrol_link(proxy.url, token))
    assert "enrol" not in page.url  # the token left the address bar at once
    admit, again = _verdicts(page, 2)[:2]
    assert (admit["verdict"], admit["reason"], admit["mode"]) == ("admit", "ok", "online")
    assert admit["name"] == "ليلى الهاشمي" and admit["badge_id"] == first["id"]
    assert (again["verdict"], again["reason"]) == ("deny", "already_inside")
    expect(page.locator("#v-name")).to_have_text("")  # a deny does not say who it is
    context.close()

    # 2. The link dies (it hangs, as dead links do): the page loads from the service
    # worker's cache, decides from IndexedDB, and queues each scan.
    proxy.set_mode("blackhole")
    context = _phone(chromium, profile, video_b)
    page = _open(context, f"{proxy.url}/scan?hold=0&lang=zh")
    admit, again = _verdicts(page, 2)[:2]
    assert (admit["verdict"], admit["reason"], admit["mode"]) == ("admit", "ok", "offline")
    assert admit["name"] == "黄晓明"  # opened from the sealed record with the code itself
    assert (again["verdict"], again["reason"], again["mode"]) == ("deny", "already_inside", "offline")
    # The camera goes dark (the video would loop the same badge forever): the counts
    # below are then exactly the scans made.
    page.evaluate("window.admitScan.camera.track.stop()")
    page.locator("#verdict").click()  # staff tap the verdict away, then type a number
    page.locator("#typed-input").fill(format_badge_number(int(third["id"])))
    page.locator("#typed button").click()
    typed = _verdicts(page, 3)[2]
    assert (typed["verdict"], typed["reason"], typed["mode"], typed["typed"]) == \
        ("admit", "ok", "offline", True)
    expect(page.locator("#net")).to_have_attribute("data-state", "offline")
    expect(page.locator("#queue")).to_have_attribute("data-count", "3")
    expect(page.locator("#queue")).to_contain_text("3 条扫码待上传")
    page.locator("#verdict").click()
    page.screenshot(path=str(artifact("scan-offline-zh.png")))
    mine = [v["scan_id"] for v in _verdicts(page, 3)]
    assert not any(s["scan_id"] in mine for s in _scan_log(web, int(second["id"])))

    # 3. The link comes back: the probe notices, the queue drains, and the server's
    # log holds every scan once.
    proxy.set_mode("pass")
    expect(page.locator("#queue")).to_have_attribute("data-count", "0")
    expect(page.locator("#net")).to_have_attribute("data-state", "online")
    logged = _scan_log(web, int(second["id"])) + _scan_log(web, int(third["id"]))
    ids = [s["scan_id"] for s in logged]
    assert sorted(ids) == sorted(mine)
    assert all(s["mode"] == "offline" and s["scanned_at"] for s in logged)

    # 4. Revoke a badge, sync, then scan it with the link dead again: DENY revoked,
    # decided from the cache the sync updated.
    response = web.api("security").post(f"{web.url}/api/v1/badges/{third['id']}/revoke",
                                        json={"reason": "reported lost"}, timeout=10)
    assert response.status_code == 200, response.text
    # A tick already running when the revoke landed returns the next call at once (and may
    # apply a page fetched before the revoke): tick until the store has it, a bounded loop.
    assert page.evaluate("""async id => {
      for (let i = 0; i < 100; i++) {
        await window.admitScan.engine.tick();
        if ((await window.admitScan.engine.store.badge(id)).revoked) return true;
        await new Promise((done) => setTimeout(done, 100));
      }
      return false;
    }""", int(third["id"])) is True
    context.close()
    proxy.set_mode("blackhole")
    context = _phone(chromium, profile, video_c)
    page = _open(context, f"{proxy.url}/scan?hold=0")
    denied = _verdicts(page, 1)[0]
    assert (denied["verdict"], denied["reason"], denied["mode"]) == ("deny", "revoked", "offline")
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", "deny")
    expect(page.locator("#v-word")).to_have_text("DENY")
    page.screenshot(path=str(artifact("scan-revoked-en.png")))
    page.evaluate("window.admitScan.camera.track.stop()")
    proxy.set_mode("pass")
    expect(page.locator("#queue")).to_have_attribute("data-count", "0")
    assert denied["scan_id"] in [s["scan_id"] for s in _scan_log(web, int(third["id"]))]
    context.close()


def test_admit_screenshots_in_english_and_chinese(web: Web, proxy: FaultProxy, profile: Path,
                                                  tmp_path: Path, chromium: BrowserType) -> None:
    _, video = _badge(web, "ليلى الهاشمي", tmp_path, fakecam.HELD)
    token = _device(web, "phone for screenshots")
    context = _phone(chromium, profile, video)
    page = _open(context, _enrol_link(proxy.url, token))
    _verdicts(page, 1)
    expect(page.locator("#v-word")).to_have_text("ADMIT")
    expect(page.locator("#v-name")).to_have_text("ليلى الهاشمي")
    page.screenshot(path=str(artifact("scan-admit-en.png")))
    page.locator("#verdict").click()
    page.locator("#lang").click()
    expect(page.locator("#gate-line")).to_contain_text("闸口")
    page.screenshot(path=str(artifact("scan-idle-zh.png")))
    context.close()


def test_enrolment_for_another_server_is_refused(web: Web, profile: Path, chromium: BrowserType) -> None:
    token = _device(web, "phone for a wrong server")
    context = _phone(chromium, profile, None)
    page = _open(context, _enrol_link(web.url, token, server="https://admit.example.org"))
    expect(page.locator("#notice")).to_contain_text("Refused: this enrolment is for https://admit.example.org")
    assert page.evaluate("window.admitScan.engine.enrolment") is None
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#enrol")).to_be_visible()  # nothing was kept
    context.close()


def test_check_access_under_a_strict_csp_records_no_entry(web: Web, profile: Path,
                                                          chromium: BrowserType) -> None:
    person = web.new_attendee("Ana García", level="Press")
    badge = web.issue_badge(int(person["id"]))
    policy = "script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'"
    context = _phone(chromium, profile, None)
    context.add_init_script("window.__csp = []; document.addEventListener("
                            "'securitypolicyviolation', e => window.__csp.push(e.violatedDirective));")

    def with_csp(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    context.route(lambda url: urlsplit(url).path == "/scan", with_csp)
    page = _open(context, f"{web.url}/scan?hold=0")
    page.get_by_label("Email").fill(web.security)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#gate-line")).to_contain_text(web.security)
    page.wait_for_function("() => window.admitScan.camera.stats.frames > 2")  # zxing-wasm ran
    page.locator("#typed-input").fill(str(badge["number"]))
    page.locator("#typed button").click()
    result = _verdicts(page, 1)[0]
    assert result["check"] is True and result["valid"] is True and result["mode"] == "online"
    assert result["access_level"] == "Press" and "Press Center" in result["zones"]
    expect(page.locator("#v-facts")).to_contain_text("Press Center")
    expect(page.locator("#v-name")).to_have_text("Ana García")
    assert page.evaluate("window.__csp") == []
    context.close()
    assert _scan_log(web, int(badge["id"])) == []  # checking is not an entry


def test_device_page_shows_the_enrolment_link(admin_page: Page, web: Web) -> None:
    admin_page.goto(f"{web.url}/admin/devices")
    admin_page.get_by_label("Name").fill("tablet at the VIP lounge")
    admin_page.get_by_role("button", name="Create").click()
    token = admin_page.locator("#new-token").inner_text().strip()
    href = str(admin_page.locator("#enrol-link").get_attribute("href"))
    assert href.startswith(f"{web.url}/scan#enrol=")
    encoded = href.split("#enrol=", 1)[1]
    data = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert data["token"] == token and data["server"] == web.url
