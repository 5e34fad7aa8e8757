"""The gate window's display: a private Xvfb per test (the other gate fixtures are in
tests/conftest.py, shared with tests/e2e)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gate import wait_for
from tests.support.tools import require


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """One Xvfb per module: a second one on the same display number, started right after
    the first stopped, can meet the old one's socket, and Tk exits the process on a
    broken X connection."""
    require("Xvfb")
    number = 90 + os.getpid() % 100
    name = f":{number}"
    proc = subprocess.Popen(["Xvfb", name, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), 10, "Xvfb")
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = name
    yield name
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old
    proc.terminate()
    proc.wait(5)
