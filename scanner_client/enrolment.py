"""Enrolment by QR code, and the device settings it leaves behind.

The dashboard shows a new device's token once, also as a QR code holding
``{"server": URL, "token": TOKEN, "gate": NAME_OR_NULL}``. The gate reads it with the
same decoder it reads badges with, checks the token against the server before keeping
anything, and writes the three values to ``settings.json`` in its data dir: settings
apart from state (``gate.sqlite3``), mode 0600 because the file holds a bearer token.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EnrolmentCodeNotFound, EnrolmentError, ScannerError, TokenRefused, UnknownGate
from .pipeline import frame_texts
from .source import FrameSource, SourceItem
from .transport import DeadlineClient, HttpStatusError

SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class Enrolment:
    server: str
    token: str
    gate: str | None

    def as_json(self) -> dict[str, Any]:
        return {"server": self.server, "token": self.token, "gate": self.gate}


def parse_enrolment(text: str) -> Enrolment | None:
    """The enrolment a QR text carries, or None for anything else (a badge, a URL)."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    server, token, gate = data.get("server"), data.get("token"), data.get("gate")
    if not (isinstance(server, str) and server and isinstance(token, str) and token):
        return None
    if gate is not None and not isinstance(gate, str):
        return None
    return Enrolment(server.rstrip("/"), token, gate or None)


class SavedSettings:
    """``settings.json`` in the data dir: written whole (temp file, fsync, rename), so a
    crash leaves the old settings or the new ones, never half of either."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SETTINGS_FILE

    def load(self) -> Enrolment | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise EnrolmentError("Settings unreadable", f"{self.path}: {exc}") from exc
        return parse_enrolment(json.dumps(data))

    def save(self, enrolment: Enrolment) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(enrolment.as_json(), out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)  # O_CREAT's mode does not apply to a leftover temp file
        os.replace(tmp, self.path)


def validate(enrolment: Enrolment, timeout_s: float = 5.0) -> list[str]:
    """Ask the server whether it takes the token (GET /api/v1/gates); the gate names."""
    try:
        client = DeadlineClient(enrolment.server, enrolment.token)
        gates = client.request("GET", "/api/v1/gates", timeout_s=timeout_s).body["gates"]
    except HttpStatusError as exc:
        if exc.status in (401, 403):
            raise TokenRefused(
                "Token refused",
                f"{enrolment.server} does not accept this device token (revoked, or made "
                "for another server): ask an admin for a new enrolment code",
            ) from exc
        raise EnrolmentError("Enrolment failed", f"the server said {exc.status}: {exc.message}") from exc
    except EnrolmentError:
        raise
    except (ScannerError, KeyError, TypeError) as exc:  # no answer, or not an Admit server
        message = exc.message if isinstance(exc, ScannerError) else f"unexpected answer ({exc!r})"
        raise EnrolmentError("Cannot reach the server",
                             f"{enrolment.server} (from the enrolment code): {message}") from exc
    names = [str(g["name"]) for g in gates]
    if enrolment.gate is not None and enrolment.gate not in names:
        raise UnknownGate("Unknown gate",
                             f"the enrolment code names {enrolment.gate!r}, not one of: {', '.join(names)}")
    return names


def find_enrolment(
    source: FrameSource,
    deadline: float,
    *,
    on_frame: Callable[[SourceItem], None] | None = None,
    stop: threading.Event | None = None,
    skip: set[Enrolment] | None = None,
) -> Enrolment:
    """Read the source until a frame holds an enrolment code (those in ``skip``, codes
    the server already refused, are passed over); raise at the end of input or deadline."""
    other = 0
    for _item, texts in frame_texts(source, on_frame=on_frame, stop=stop, deadline=deadline):
        for text in texts:
            found = parse_enrolment(text)
            if found is not None and found not in (skip or set()):
                return found
            other += 1
    if source.error is not None:
        raise source.error
    seen = f"; {other} other code(s) seen (a badge is not an enrolment code)" if other else ""
    ended = "the input ended" if source.finished else "the time ran out"
    raise EnrolmentCodeNotFound("No enrolment code found",
                                f"{ended} before an enrolment QR code from the dashboard's "
                                f"devices page was seen{seen}")


def enrol_from(spec: str, data_dir: Path, timeout_s: float = math.inf) -> Enrolment:
    """The whole ``--enrol-from`` step: find, check with the server, store."""
    source = FrameSource(spec).start()
    try:
        found = find_enrolment(source, time.monotonic() + timeout_s)
    finally:
        source.stop()
    validate(found)
    SavedSettings(data_dir).save(found)
    return found
