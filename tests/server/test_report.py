"""The post-event report: a PDF rendered by a job, read back with pypdf and rendered to
PNG with pdftoppm (tests/artifacts/report-*.png, for a person to look at)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import time
import unicodedata
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from tests.support.factories import new_badge
from tests.support.live import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def scans_on_day_two(live_server: LiveServer) -> str:
    """A morning of arrivals through two gates on the event's second day."""
    event = live_server.session("gate").get(f"{live_server.url}/api/v1/sync?limit=1").json()["event"]
    day = dt.date.fromisoformat(event["start_date"]) + dt.timedelta(days=1)
    scans = []
    for i in range(12):
        badge = new_badge(live_server)
        at = dt.datetime.combine(day, dt.time(9, 0), TZ) + dt.timedelta(minutes=7 * i)
        gate = "Prelude Hall Entrance" if i % 2 else "Opening Ceremony Hall Entrance"
        scans.append({"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": gate,
                      "direction": "in", "scanned_at": at.isoformat(),
                      "offline_verdict": "admit", "offline_reason": "ok"})
        if i % 3 == 0:
            out = gate.replace("Entrance", "Exit")
            scans.append({"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": out,
                          "direction": "out", "scanned_at": (at + dt.timedelta(minutes=50 + 20 * i)).isoformat(),
                          "offline_verdict": "admit", "offline_reason": "ok"})
    resp = live_server.session("gate").post(f"{live_server.url}/api/v1/scans/batch", json={"scans": scans})
    assert resp.status_code == 200, resp.text
    return day.isoformat()


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return unicodedata.normalize("NFKC", "\n".join(p.extract_text() or "" for p in reader.pages))


@pytest.mark.parametrize("lang,title,heading", [
    ("en", "Post-event report", "Arrivals per 15 minutes per gate"),
    ("zh", "活动总结报告", "各入口每15分钟入场人数"),
])
def test_report_pdf_in_english_and_chinese(live_server: LiveServer, scans_on_day_two: str,
                                          lang: str, title: str, heading: str) -> None:
    resp = live_server.session("security").get(f"{live_server.url}/api/v1/reports/event.pdf",
                                               params={"lang": lang}, timeout=120)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == "application/pdf"
    text = _text(resp.content)
    assert title in text and heading in text
    assert scans_on_day_two in text  # the day's section
    assert "Prelude Hall" in text  # the peaks table names the zone
    if shutil.which("pdftoppm") is None:
        raise AssertionError("pdftoppm (poppler-utils) is required")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf_path = ARTIFACTS / f"report-{lang}-{live_server.db_kind}.pdf"
    pdf_path.write_bytes(resp.content)
    for page in (1, 2):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf_path), str(pdf_path.with_suffix("")) + f"-p{page}"],
                       check=True, timeout=60)
        assert (ARTIFACTS / f"report-{lang}-{live_server.db_kind}-p{page}.png").stat().st_size > 5000


def test_report_job_answers_202_then_the_pdf(live_server: LiveServer) -> None:
    staff = live_server.session("admin")
    resp = staff.get(f"{live_server.url}/api/v1/reports/event.pdf", params={"wait": 0})
    if resp.status_code == 200:  # rendered before the route even looked: nothing to poll
        assert resp.content.startswith(b"%PDF")
        return
    assert resp.status_code == 202, resp.text
    poll = resp.json()["poll"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        got = staff.get(f"{live_server.url}{poll}")
        if got.status_code == 200:
            assert got.content.startswith(b"%PDF")
            return
        assert got.status_code == 202, got.text
        time.sleep(0.2)  # polling the job, as a client would
    raise AssertionError("the report job did not finish")


def test_unknown_job_is_404(live_server: LiveServer) -> None:
    resp = live_server.session("admin").get(f"{live_server.url}/api/v1/reports/jobs/report-000000000000")
    assert resp.status_code == 404
