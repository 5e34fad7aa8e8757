"""A bulk badge run records a failure on the person it belongs to and goes on: a name with
CR/LF (which mail headers refuse) once stopped ``send-badges`` at the same attendee on
every rerun. Both databases, through the real CLI command in process."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import update

from server.extensions import db
from server.models import Attendee
from tests.support.factories import new_badge
from tests.support.inproc import AppServer


def _send(app_server: AppServer, ids: list[int]) -> str:
    args = ["send-badges", "--rate", "0", "--retries", "0"]
    for attendee_id in ids:
        args += ["--attendee", str(attendee_id)]
    return app_server.cli(*args, check=False)


def test_a_bad_name_fails_one_person_and_the_run_goes_on(app_server: AppServer) -> None:
    before, bad, after = (new_badge(app_server) for _ in range(3))
    with app_server.app.app_context():
        # Written past the API (which refuses control characters), as old data would be.
        db.session.execute(update(Attendee).where(Attendee.id == bad.attendee_id)
                           .values(name="Eve Example\r\nBcc: everyone@example.org"))
        db.session.commit()
    ids = [before.attendee_id, bad.attendee_id, after.attendee_id]
    first = _send(app_server, ids)
    assert re.search(r"sent 2, failed 1", first), first
    second = _send(app_server, ids)  # the rerun tries the bad one again, and still finishes
    assert re.search(r"sent 0, failed 1", second), second
    outbox = Path(app_server.app.config["OUTBOX_DIR"])
    sent_to = "\n".join(p.read_text(errors="replace") for p in outbox.glob("*.eml"))
    assert "everyone@example.org" not in sent_to
    with app_server.app.app_context():
        failed = db.session.get(Attendee, bad.attendee_id)
        assert failed is not None and failed.mail_state == "failed" and failed.mail_error
