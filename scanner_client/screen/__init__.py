"""The gate's screen: a Tk window whose pictures and words are drawn by Pillow."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..app import GateApp
    from ..source import FrameSource, RepeatFilter


def run_window(app: GateApp, source: FrameSource, repeat: RepeatFilter) -> int:
    # Imported here so headless gates never need Tk or a display.
    from .window import run_window as run

    return run(app, source, repeat)


__all__ = ["run_window"]
