"""Frame source, anti-repeat and the store's privacy promises."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from scanner_client.app import GateApp
from scanner_client.outcomes import GateVerdict
from scanner_client.source import FrameSource, RepeatFilter, SourceItem
from shared import format_badge_number
from tests.support.factories import Badge
from tests.support.faultproxy import FaultProxy
from tests.support.gate import wait_for


def test_codes_file_hands_every_line(tmp_path: Path) -> None:
    path = tmp_path / "codes.txt"
    path.write_text("a\n\n b \nc\n")
    source = FrameSource(f"codes:{path}").start()
    got = []
    while not source.finished:
        item = source.get(1.0)
        if item is not None:
            got.append(item.text)
    assert got == ["a", "b", "c"]


class FastCamera(FrameSource):
    """A "camera" (index 0) that produces 2,000 frames as fast as it can."""

    def _open(self) -> Iterator[SourceItem]:
        return (SourceItem(i, float(i), image=i) for i in range(2000))


def test_live_source_keeps_only_the_newest() -> None:
    source = FastCamera("0")
    assert source.live
    source.start()
    wait_for(lambda: source._done, 10, "the fast camera to finish")
    item = source.get(1.0)
    assert item is not None and item.index == 1999  # no backlog: the newest frame only
    assert source.dropped >= 1900


def test_code_in_view_is_not_resubmitted() -> None:
    repeat = RepeatFilter(window_s=3.0)
    frames = [SourceItem(i, i / 30, image=object()) for i in range(300)]  # 10 s at 30 fps
    # The badge is in view for the first 2 s, gone, then shown again at 8 s.
    seen = [f for f in frames if f.media_s < 2 or f.media_s >= 8]
    fresh = [f.media_s for f in seen if repeat.fresh("CODE", f)]
    assert fresh == [0.0, 8.0]
    assert repeat.fresh("CODE", SourceItem(0, 0.0, text="CODE", presentation=True))


def test_gate_keeps_no_readable_attendee_data(
    gate_app: Callable[..., GateApp], proxy: FaultProxy, make_badge: Callable[..., Badge]
) -> None:
    badge = make_badge("Jürgen Müller")
    app = gate_app()
    proxy.set_mode("refuse")
    assert app.submit(badge.code).name == "Jürgen Müller"  # opens with the presented code
    raw = disk_bytes(app)
    assert badge.code.encode() in raw  # queued: the server does not have it yet
    assert "Müller".encode() not in raw and b"Test Org" not in raw
    proxy.set_mode("pass")
    # Uploaded: the raw code is gone from the file and the WAL (zeroed, checkpointed).
    wait_for(lambda: badge.code.encode() not in disk_bytes(app), 10, "the code to be erased")


def disk_bytes(app: GateApp) -> bytes:
    return b"".join(p.read_bytes() for p in app.store.path.parent.glob("gate.sqlite3*"))


def test_offline_deny_shows_the_badge_number_not_the_person(
    gate_app: Callable[..., GateApp], proxy: FaultProxy, make_badge: Callable[..., Badge]
) -> None:
    badge = make_badge("Jürgen Müller")
    app = gate_app()
    proxy.set_mode("refuse")
    admit = app.submit(badge.code)
    assert isinstance(admit, GateVerdict) and admit.name == "Jürgen Müller"
    deny = app.submit(badge.code)  # already inside: the sealed record stays shut
    assert isinstance(deny, GateVerdict) and (deny.mode, deny.reason) == ("offline", "already_inside")
    assert (deny.name, deny.organization, deny.access_level) == (None, None, None)
    assert deny.badge_number == format_badge_number(badge.badge_id)
    assert deny.as_json()["badge_number"] == deny.badge_number and "name" not in deny.as_json()
