"""One policy, two languages: the browser scanner's JavaScript decides every vector
generated from shared/ as Python does (node's built-in test runner, WebCrypto and the
vendored @noble/ed25519 fallback both)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support import policy_vectors
from tests.support.live import ROOT
from tests.support.tools import require


def test_python_decides_every_vector_as_written(tmp_path: Path) -> None:
    vectors = policy_vectors.write(tmp_path / "vectors.json")  # raises on any disagreement
    assert {v["expected"]["reason"] for v in vectors} >= {
        "ok", "not_inside", "not_a_badge", "bad_signature", "unknown_key", "revoked",
        "device_not_allowed", "not_valid_today", "wrong_zone", "already_inside", "zone_full"}


def test_javascript_decides_every_vector_as_python(tmp_path: Path) -> None:
    node = require("node")
    if not (ROOT / "node_modules" / "@noble" / "ed25519").is_dir():
        message = "node_modules missing: `make setup` runs npm ci"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / "vectors.json"
    vectors = policy_vectors.write(path)
    proc = subprocess.run([node, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "ADMIT_VECTORS": str(path)}, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    passed = int(re.search(r"^# pass (\d+)$", proc.stdout, re.M).group(1))  # type: ignore[union-attr]
    offline = sum(v["kind"] == "offline" for v in vectors)
    policy = len(vectors) - offline
    # every policy vector once, every offline vector per signature engine, plus the checks
    assert passed >= policy + 2 * offline, proc.stdout[-2000:]
    assert json.loads(path.read_text(encoding="utf-8")) == vectors
