"""A missing system tool skips a test on a developer's machine but fails it in CI, where
`make test` has installed everything."""

from __future__ import annotations

import os
import shutil

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
