"""A missing system tool skips a test on a developer's machine but fails it in CI, where
`make test` has installed everything."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def require(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    message = f"{' or '.join(names)} is not installed (make setup installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"


def artifact(name: str) -> Path:
    """Where a test keeps an image for a person to look at: build/test-artifacts/, which
    git ignores (the images change on every run)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
