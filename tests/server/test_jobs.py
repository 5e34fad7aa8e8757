"""Bulk badge sending as jobs in the embedded mode (no Redis: a thread in the server),
through the real API and dashboard, to a real SMTP server on loopback."""

from __future__ import annotations

from collections import Counter

import requests

from tests.server.test_observability import samples
from tests.support.jobs import csrf_from, dashboard_login, wait_job
from tests.support.live import LiveServer
from tests.support.smtp import SmtpServer

PASSWORD = "jobs test password"


def test_failed_chunk_is_visible_retryable_and_resumes_without_duplicates() -> None:
    server = LiveServer("sqlite", attendees=12, env={
        "MAIL_RATE_PER_S": "0", "MAIL_RETRIES": "0", "JOBS_CHUNK_SIZE": "5",
        "MAIL_FROM": "Convention <badges@convention.example>"})
    with SmtpServer() as smtp:
        server.env.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
                           "SMTP_TLS": "none"})
        try:
            server.start()
            admin = server.session("admin")
            smtp.handler.fail_after = 7  # the mail server goes down after 7 messages
            started = admin.post(f"{server.url}/api/v1/jobs/send-badges", json={}, timeout=10)
            assert started.status_code == 202, started.text
            job = wait_job(admin, server.url, started.json()["id"])
            assert job["state"] == "failed" and job["retryable"], job
            assert job["children"]["failed"] >= 1  # progress counts attempts; errors say more
            assert "retry sends them" in job["error"]
            total = job["total"]
            assert total >= 10
            scrape = samples(requests.get(f"{server.url}/metrics", timeout=10).text)
            assert scrape['admit_job_failures_total{kind="badges.send_chunk"}'] >= 1

            smtp.handler.fail_after = None
            retried = admin.post(f"{server.url}/api/v1/jobs/{job['id']}/retry", timeout=10)
            assert retried.status_code == 202, retried.text
            job = wait_job(admin, server.url, job["id"])
            assert job["state"] == "done" and job["done"] == job["total"] == total, job
            again = admin.post(f"{server.url}/api/v1/jobs/{job['id']}/retry", timeout=10)
            assert again.status_code == 409 and again.json()["error"]["code"] == "not_retryable"

            received = smtp.handler.received
            per_recipient = Counter(str(m["To"].addresses[0].addr_spec) for m in received)
            assert len(per_recipient) == total and set(per_recipient.values()) == {1}
            assert len({m["Message-ID"] for m in received}) == total

            # The dashboard starts a send and shows its progress; nothing is due any more.
            server.cli("create-user", "--email", "jobs@admit.example", "--password", PASSWORD,
                       "--role", "admin")
            web = dashboard_login(server.url, "jobs@admit.example", PASSWORD)
            page = web.get(f"{server.url}/admin/attendees", timeout=10).text
            assert 'id="send-all-badges"' in page
            resp = web.post(f"{server.url}/admin/jobs/send-badges",
                            data={"csrf_token": csrf_from(page)}, timeout=10, allow_redirects=False)
            assert resp.status_code == 302 and "/admin/jobs/" in resp.headers["Location"]
            new_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
            assert wait_job(admin, server.url, new_id)["total"] == 0
            shown = web.get(f"{server.url}/admin/jobs/{job['id']}", timeout=10).text
            assert 'data-state="done"' in shown and f'value="{total}"' in shown
            assert 'id="job-retry"' not in shown
            assert len(smtp.handler.received) == total
        finally:
            server.stop()


def test_unknown_job_is_a_404_envelope(live_server: LiveServer) -> None:
    resp = live_server.session("admin").get(f"{live_server.url}/api/v1/jobs/999999", timeout=10)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"


def test_cli_queued_send_runs_embedded_and_resumes() -> None:
    server = LiveServer("sqlite", attendees=6, env={"MAIL_RATE_PER_S": "0"})
    try:
        server.cli("seed-demo", "--attendees", "6")
        first = server.cli("send-badges", "--queue")
        assert "done" in first, first
        outbox = server.instance / "outbox"
        sent = sorted(outbox.iterdir())
        assert len(sent) >= 6
        again = server.cli("send-badges", "--queue")  # nothing is due: nothing is sent
        assert "done" in again and sorted(outbox.iterdir()) == sent
    finally:
        server.stop()
