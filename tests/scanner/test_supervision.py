"""Every gate thread is supervised (issue 9): a bug in the scan loop or in typed entry is
shown, logged and the loop restarts instead of the thread dying silently; a lost camera
is shown, and picked up again when it comes back."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from scanner_client.app import GateApp
from scanner_client.errors import SourceError
from scanner_client.outcomes import GateVerdict, Outcome
from scanner_client.source import FrameSource, RepeatFilter, SourceItem
from tests.conftest import GateFactory
from tests.support.factories import Badge
from tests.support.gate import wait_for


def fail_first(app: GateApp, calls: int = 1) -> list[str]:
    """Make the facade's submit raise a plain bug (not a ScannerError) on its first
    ``calls`` calls: the fault a supervisor exists for. Returns the texts it failed on."""
    real = app.submit
    failed: list[str] = []

    def submit(code: str) -> Outcome:
        if len(failed) < calls:
            failed.append(code)
            raise RuntimeError("a bug in the verdict path")
        return real(code)

    app.submit = submit  # type: ignore[method-assign]
    return failed


def codes_source(tmp_path: Path, codes: list[str]) -> FrameSource:
    path = tmp_path / "codes.txt"
    path.write_text("\n".join(codes) + "\n")
    return FrameSource(f"codes:{path}").start()


def test_scan_loop_survives_a_bug_and_shows_it(
    gate_app: GateFactory, make_badge: Callable[..., Badge], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    badges = [make_badge() for _ in range(3)]
    app = gate_app()
    failed = fail_first(app)
    outcomes: list[Outcome] = []
    with caplog.at_level(logging.ERROR, logger="scanner_client.workers"):
        worker = gate_app.workers_of(app).start_scanning(
            codes_source(tmp_path, [b.code for b in badges]), RepeatFilter(), outcomes.append)
        assert worker.thread is not None
        worker.thread.join(60)
    assert failed == [badges[0].code]
    # The loop restarted and went on with the rest of the input.
    assert [o.verdict for o in outcomes if isinstance(o, GateVerdict)] == ["admit", "admit"]
    shown = app.state().errors["scanning"]
    assert shown.title == "Fault in scanning, restarted"
    assert "RuntimeError: a bug in the verdict path" in shown.message
    assert any(r.exc_info for r in caplog.records), "the traceback is logged"


def test_typed_entry_survives_a_bug_and_shows_it(
    gate_app: GateFactory, make_badge: Callable[..., Badge]
) -> None:
    first, second = make_badge(), make_badge()
    app = gate_app()
    fail_first(app)
    outcomes: list[Outcome] = []
    workers = gate_app.workers_of(app)
    workers.submit_typed(first.code, outcomes.append)
    workers.submit_typed(second.code, outcomes.append)
    wait_for(lambda: outcomes, 20, "the second typed entry's verdict")
    assert len(outcomes) == 1 and isinstance(outcomes[0], GateVerdict)
    assert outcomes[0].name == second.name
    assert app.state().errors["typed entry"].title == "Fault in typed entry, restarted"


class FlakyCamera(FrameSource):
    """A "camera" (index 0) that gives a few frames, then stops like an unplugged USB
    camera (read fails), cannot be opened once, and then works again."""

    opened = 0
    back = threading.Event()

    def _open(self) -> Iterator[SourceItem]:
        FlakyCamera.opened += 1
        if FlakyCamera.opened == 2:
            raise SourceError("No camera", "camera 0 could not be opened")
        return self._frames(lost=FlakyCamera.opened == 1)

    def _frames(self, lost: bool) -> Iterator[SourceItem]:
        for i in range(3):
            yield SourceItem(i, float(i), image=np.zeros((120, 160, 3), np.uint8))
        if lost:
            raise SourceError("Camera stopped", "camera 0 gave no frame")
        FlakyCamera.back.set()
        threading.Event().wait()  # a camera that keeps running (the test stops it)


def test_lost_camera_is_shown_and_reopened(gate_app: GateFactory) -> None:
    app = gate_app()
    camera = FlakyCamera("0")
    assert camera.live
    errors: list[str] = []
    real_report = app.report_error

    def report(where: str, exc: object, **kw: float) -> None:
        errors.append(f"{where}: {exc}")
        real_report(where, exc, **kw)  # type: ignore[arg-type]

    app.report_error = report  # type: ignore[method-assign]
    gate_app.workers_of(app).start_scanning(camera.start(), RepeatFilter(), lambda o: None)
    wait_for(FlakyCamera.back.is_set, 20, "the camera to be opened again")
    assert errors[:2] == ["camera: Camera stopped: camera 0 gave no frame",
                          "scanning: No camera: camera 0 could not be opened"]
    wait_for(lambda: "camera" not in app.state().errors, 5, "the camera error to clear")
    camera.stop()


class SilentCamera(FrameSource):
    """A camera that opens but whose read blocks (driver hung, taken by another app)."""

    release = threading.Event()

    def _open(self) -> Iterator[SourceItem]:
        def frames() -> Iterator[SourceItem]:
            SilentCamera.release.wait()
            while True:
                yield SourceItem(0, 0.0, image=np.zeros((120, 160, 3), np.uint8))

        return frames()


def test_camera_without_pictures_is_shown(gate_app: GateFactory) -> None:
    app = gate_app(camera_silence_s=0.5)
    camera = SilentCamera("0").start()
    gate_app.workers_of(app).start_scanning(camera, RepeatFilter(), lambda o: None)
    wait_for(lambda: "camera" in app.state().errors, 10, "the silent camera to be shown")
    assert app.state().errors["camera"].title == "No camera picture"
    SilentCamera.release.set()
    wait_for(lambda: "camera" not in app.state().errors, 10, "pictures to clear it")
    camera.stop()
