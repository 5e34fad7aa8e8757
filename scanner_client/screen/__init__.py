"""The gate's screen: a Tk window whose pictures and words are drawn by Pillow."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from ..app import GateApp
    from ..enrolment import Enrolment
    from ..source import FrameSource, RepeatFilter
    from ..workers import WorkerManager


def run_window(app: GateApp, workers: WorkerManager, source: FrameSource, repeat: RepeatFilter
               ) -> int:
    # Imported here so headless gates never need Tk or a display.
    from .window import run_window as run

    return run(app, workers, source, repeat)


def run_enrolment_window(source_spec: str, data_dir: Path) -> Enrolment | None:
    """First start without a token: enrol from the camera; None if the window is closed."""
    from .enrol import run_enrolment_window as run

    return run(source_spec, data_dir)


__all__ = ["run_enrolment_window", "run_window"]
