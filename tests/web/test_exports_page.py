"""Export downloads from the dashboard, in a real browser, opened with the csv module."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page

from .conftest import Web


def test_security_downloads_the_scan_log_but_sees_no_attendee_export(
        security_page: Page, web: Web) -> None:
    security_page.get_by_role("link", name="Exports").click()
    assert security_page.get_by_role("link", name="attendees.csv").count() == 0
    with security_page.expect_download() as info:
        security_page.get_by_role("link", name="scans.csv").click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[:3] == ["scan_id", "scanned_at", "received_at"]


def test_admin_downloads_attendees(admin_page: Page, web: Web) -> None:
    web.new_attendee("黄晓明 Export")
    admin_page.goto(f"{web.url}/dashboard/exports")
    with admin_page.expect_download() as info:
        admin_page.get_by_role("link", name="attendees.csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    assert "黄晓明 Export" in {r["name"] for r in rows}
