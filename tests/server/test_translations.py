"""Every string the dashboard marks for translation has a Chinese translation.

The msgids come from Babel's own extractors run over the templates and the web views
(what ``pybabel extract -F babel.cfg`` sees), so a string added without a translation
fails here instead of showing in English on a Chinese screen.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "server"
KEYWORDS = {"_": None, "gettext": None, "N_": None, "pgettext": ((1, "c"), 2)}


def _used() -> set[tuple[str | None, str, str]]:
    """(context, msgid, where) for every literal marked string in server/."""
    found = set()
    method_map = [("web/**.py", "python"), ("templates/web/**.html", "jinja2")]
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(SERVER), method_map, keywords=KEYWORDS, options_map={"templates/web/**.html": {}}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context, msgid, f"{filename}:{lineno}"))
    return found


def _catalogue(lang: str):  # type: ignore[no-untyped-def]  (babel's Catalog is untyped)
    with (SERVER / f"translations/{lang}/LC_MESSAGES/messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def test_extraction_sees_templates_and_views() -> None:
    used = _used()
    wheres = {w.split(":")[0] for _c, _m, w in used}
    # Guards the test itself: an extractor that finds nothing would pass the next test.
    assert any(w.startswith("templates/web/") for w in wheres)
    assert any(w.startswith("web/") and w.endswith(".py") for w in wheres)
    assert ("person", "Name") in {(c, m) for c, m, _w in used}


@pytest.mark.parametrize("lang", ["zh"])
def test_every_marked_string_is_translated(lang: str) -> None:
    catalogue = _catalogue(lang)
    missing = sorted(
        f"{where}: {msgid!r}" + (f" (context {ctx!r})" if ctx else "")
        for ctx, msgid, where in _used()
        if not ((m := catalogue.get(msgid, context=ctx)) is not None and m.string)
    )
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_a_zone_name_is_not_a_person_name() -> None:
    catalogue = _catalogue("zh")
    assert catalogue.get("Name", context="person").string == "姓名"
    assert catalogue.get("Name", context="device").string != "姓名"
    assert catalogue.get("Zone name").string == "区域名称"


def _audit_words() -> set[str]:
    """Audit actions and detail keys as the code records them (the audit pages show them
    through ``_(r.action)`` / ``_(k)``, which no extractor can see)."""
    words: set[str] = set()
    for path in SERVER.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for call in re.finditer(r"audit(?:_log)?\.record\((.*?)\)\s*$", source, re.S | re.M):
            args = call.group(1)
            if action := re.search(r"\"([a-z_]+\.[a-z_]+)\"", args):
                words.add(action.group(1))
            words.update(re.findall(r"\b([a-z_]+)=", args))
    words.discard("exclude_unset")  # model_dump(exclude_unset=True) inside a call's details
    return words


def _dynamic_values() -> set[str]:
    """Values the dashboard translates through a variable: roles, states, reasons."""
    from server.models.security import ROLES
    from server.web.events import ALERT_KINDS
    from shared import REASON_TEXT, Direction, Verdict

    return {
        *ROLES, *REASON_TEXT.values(), *ALERT_KINDS.values(),
        *(d.value for d in Direction), *(v.value for v in Verdict),
        "active", "revoked",  # badge status
        "queued", "running", "done", "failed",  # job states (models/jobs.py)
        "Scans", "Attendance", "Attendees",  # export kinds, capitalised in the template
        *_audit_words(),
    }


def test_values_shown_through_a_variable_are_translated() -> None:
    assert {"badge.revoke", "reason", "attendee.lookup"} <= _audit_words()
    catalogue = _catalogue("zh")
    missing = sorted(v for v in _dynamic_values() if not (catalogue.get(v) and catalogue.get(v).string))
    assert not missing, f"untranslated: {missing}"
