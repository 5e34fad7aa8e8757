"""What the gate tells staff and the dashboard about itself (issue 9): the status bar
follows the link back, uploads are counted and reported, the laptop's clock is named in
plain words from the server's measure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner_client.outcomes import skew_words
from scanner_client.screen.panel import render_status
from scanner_client.sync import utcnow
from tests.conftest import GateFactory
from tests.support.factories import Badge
from tests.support.faultproxy import FaultProxy
from tests.support.gate import run_gate_to_end, wait_for
from tests.support.live import LiveServer


def device_queued(server: LiveServer) -> int | None:
    r = server.session("admin").get(f"{server.url}/api/v1/devices", timeout=10)
    r.raise_for_status()
    gate = next(d for d in r.json()["devices"] if d["name"] == "test gate")
    return gate["queued_scans"]  # type: ignore[no-any-return]


def test_status_bar_clears_when_the_server_is_back(
    gate_app: GateFactory, proxy: FaultProxy, make_badge: Callable[..., Badge]
) -> None:
    app = gate_app()
    proxy.set_mode("refuse")
    assert app.submit(make_badge().code).mode == "offline"
    shown = app.state().last_error
    assert shown is not None and shown.title == "Server unreachable"
    proxy.set_mode("pass")
    wait_for(lambda: app.state().mode == "online", 10, "the breaker to close")
    state = app.state()
    assert state.last_error is None and state.errors == {}
    render_status(state, 1280)  # draws without the error note


def test_heartbeat_after_upload_reports_the_true_queue(
    gate_app: GateFactory, proxy: FaultProxy, make_badge: Callable[..., Badge],
    gate_server: LiveServer,
) -> None:
    app = gate_app(workers=False)  # each duty called by hand, in the order that matters
    proxy.set_mode("refuse")
    for _ in range(2):
        assert app.submit(make_badge().code).mode == "offline"
    proxy.set_mode("pass")
    app.sync.heartbeat("online", app.settings.gate, timeout_s=5)
    assert device_queued(gate_server) == 2  # what the dashboard shows while they wait
    assert app.probe_once()
    app.sync_once()
    assert app.state().queued == 0
    assert device_queued(gate_server) == 0  # not stale after the upload


def test_headless_run_reports_what_it_uploaded(
    gate_server: LiveServer, proxy: FaultProxy, make_badge: Callable[..., Badge],
    tmp_path: Path,
) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text(f"{make_badge().code}\n{make_badge().code}\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    data, token = tmp_path / "gate", gate_server.tokens["gate"]
    run_gate_to_end(proxy.url, token, f"codes:{empty}", data)  # enrol and sync online
    proxy.set_mode("refuse")
    lines, end = run_gate_to_end(proxy.url, token, f"codes:{codes}", data)
    assert [line["mode"] for line in lines] == ["offline", "offline"]
    assert (end["uploaded"], end["queued"]) == (0, 2)
    proxy.set_mode("pass")
    lines, end = run_gate_to_end(proxy.url, token, f"codes:{empty}", data,
                                 extra=("--flush-s", "30"))
    assert lines == []
    # Uploaded by the sync worker during the run or by the final flush: counted either way.
    assert (end["uploaded"], end["queued"], end["set_aside"]) == (2, 0, 0)
    assert device_queued(gate_server) == 0


@pytest.mark.parametrize(("offset", "words"), [
    (dt.timedelta(minutes=9), "this laptop's clock is 9 min fast"),
    (dt.timedelta(minutes=-125), "this laptop's clock is 2 h 5 min slow"),
])
def test_clock_skew_in_plain_words(
    offset: dt.timedelta, words: str, gate_app: GateFactory
) -> None:
    app = gate_app(workers=False, clock=lambda: utcnow() + offset)
    assert app.state().clock_note is None  # nothing measured yet
    app.heartbeat_once()  # the server measures the skew from the heartbeat's clock
    state = app.state()
    assert state.clock_warning and state.clock_note == words
    render_status(state, 1280)


def test_skew_words() -> None:
    assert skew_words(40) == "this laptop's clock is 40 s fast"
    assert skew_words(-540.4) == "this laptop's clock is 9 min slow"
    assert skew_words(3 * 86400) == "this laptop's clock is 3 days fast"
