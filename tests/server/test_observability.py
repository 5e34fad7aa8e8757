"""Metrics, request ids and JSON request logs, readiness: against real server processes."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests

from tests.support.factories import new_badge, scan
from tests.support.faultproxy import FaultProxy
from tests.support.live import LiveServer, free_port, pg_available

GATE = "Prelude Hall Entrance"


def samples(text: str) -> dict[str, float]:
    """``name{labels}`` -> value for every sample line of a Prometheus text scrape."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def test_scans_show_up_in_metrics_summed_over_workers(live_server: LiveServer) -> None:
    before = samples(requests.get(f"{live_server.url}/metrics", timeout=10).text)
    badge = new_badge(live_server)
    for _ in range(4):  # one admit, then three already_inside, spread over both workers
        scan(live_server, badge.code, GATE)
    resp = requests.get(f"{live_server.url}/metrics", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain")
    after = samples(resp.text)

    def delta(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    admit = 'admit_scans_total{reason="ok",source="online",verdict="admit"}'
    inside = 'admit_scans_total{reason="already_inside",source="online",verdict="deny"}'
    assert delta(admit) == 1 and delta(inside) == 3
    assert delta("admit_scan_latency_seconds_count") == 4
    assert delta('admit_scan_latency_seconds_bucket{le="+Inf"}') == 4
    assert "admit_gates_online" in after
    assert all(name.startswith("admit_") for name in _metric_names(resp.text))


def _metric_names(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^# TYPE (\S+) ", text, re.M)}


def test_batch_sizes_are_observed(live_server: LiveServer) -> None:
    badge = new_badge(live_server)
    before = samples(requests.get(f"{live_server.url}/metrics", timeout=10).text)
    scans = [{"scan_id": str(uuid.uuid4()), "code": badge.code, "gate": GATE,
              "scanned_at": "2026-01-01T10:00:00+00:00", "offline_verdict": "deny",
              "offline_reason": "not_valid_today"} for _ in range(3)]
    resp = live_server.session("gate").post(f"{live_server.url}/api/v1/scans/batch",
                                            json={"scans": scans}, timeout=10)
    assert resp.status_code == 200, resp.text
    after = samples(requests.get(f"{live_server.url}/metrics", timeout=10).text)
    assert after["admit_scan_batch_size_count"] - before.get("admit_scan_batch_size_count", 0) == 1
    assert after["admit_scan_batch_size_sum"] - before.get("admit_scan_batch_size_sum", 0) == 3


def test_request_id_is_honoured_or_made_and_logged_as_json(live_server: LiveServer) -> None:
    given = f"probe-{uuid.uuid4().hex}"
    resp = requests.get(f"{live_server.url}/healthz", headers={"X-Request-ID": given}, timeout=10)
    assert resp.headers["X-Request-ID"] == given
    made = requests.get(f"{live_server.url}/healthz", headers={"X-Request-ID": "bad id\u00e9"},
                        timeout=10).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert live_server.log_path is not None
    lines = [json.loads(ln) for ln in live_server.log_path.read_text().splitlines()
             if ln.startswith("{") and given in ln]
    assert len(lines) == 1
    assert lines[0]["status"] == 200 and lines[0]["path"] == "/healthz"
    assert lines[0]["method"] == "GET" and lines[0]["duration_ms"] >= 0


def test_readyz_is_ready(live_server: LiveServer) -> None:
    resp = requests.get(f"{live_server.url}/readyz", timeout=10)
    assert resp.status_code == 200 and resp.json()["database"] == "ok"


def test_readyz_names_a_dead_redis() -> None:
    server = LiveServer("sqlite", attendees=2,
                        env={"REDIS_URL": f"redis://127.0.0.1:{free_port()}/3"})
    try:
        server.start()
        resp = requests.get(f"{server.url}/readyz", timeout=10)
        assert resp.status_code == 503
        error = resp.json()["error"]
        assert error["code"] == "not_ready" and "redis" in error["message"]
        assert error["details"]["database"] == "ok" and error["details"]["redis"].startswith("down")
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
        # A job the queue cannot take is failed at once (retryable), not queued forever.
        admin = server.session("admin")
        refused = admin.post(f"{server.url}/api/v1/jobs/send-badges", json={}, timeout=30)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "queue_unavailable"
        job_id = refused.json()["error"]["details"]["jobs"][0]
        job = admin.get(f"{server.url}/api/v1/jobs/{job_id}", timeout=10).json()
        assert job["state"] == "failed" and job["retryable"] and "could not queue" in job["error"]
    finally:
        server.stop()


@pytest.mark.postgres
@pytest.mark.skipif(not pg_available(), reason="PostgreSQL not reachable")
def test_readyz_names_a_dead_database() -> None:
    proxy = FaultProxy("127.0.0.1", 5432)
    server = LiveServer("postgres", attendees=2, workers=1)
    server.env["DATABASE_URL"] = server.database_url.replace(":5432/", f":{proxy.port}/")
    try:
        server.start()
        assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
        proxy.close()  # the database host is gone: open connections die, new ones refused
        resp = requests.get(f"{server.url}/readyz", timeout=10)
        assert resp.status_code == 503, resp.text
        error = resp.json()["error"]
        assert error["message"] == "not ready: database down"
        assert error["details"]["database"].startswith("down")
    finally:
        proxy.close()
        server.stop()
