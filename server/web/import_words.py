"""The CSV import report in the reader's language.

The importer (a service, shared with the API and the CLI) reports in English, partly in
pydantic's words; here each known message shape is matched and said again through the
catalogue. A message of a shape not listed stays in English rather than vanishing.
"""

from __future__ import annotations

import re

from .i18n import gettext, pgettext


def N_(text: str) -> str:  # noqa: N802  (gettext's conventional name)
    """Marks a msgid for extraction (babel.cfg / the catalogue test); translated later."""
    return text


# (pattern of the English message, msgid with one %s per group)
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"missing column"), N_("missing column")),
    (re.compile(r"more cells than columns"), N_("more cells than columns")),
    (re.compile(r"duplicate of row (\d+)"), N_("duplicate of row %s")),
    (re.compile(r"Field required"), N_("required")),
    (re.compile(r"String should have at least 1 character"), N_("must not be empty")),
    (re.compile(r"String should have at most (\d+) characters?"), N_("at most %s characters")),
    (re.compile(r"value is not a valid email address.*", re.S), N_("not a valid email address")),
    (re.compile(r"no access level named '(.*)'"), N_("no access level named %s")),
    (re.compile(r"days must fall within the event \((\S+) to (\S+)\)"),
     N_("days must fall within the event (%s to %s)")),
    (re.compile(r"Invalid isoformat string: '(.*)'"),
     N_("not a date: %s (write YYYY-MM-DD, or the day's number: 1 = first day)")),
    (re.compile(r"(\d+) problem\(s\) in the file; nothing was imported"),
     N_("%s problem(s) in the file; nothing was imported")),
    (re.compile(r"missing column\(s\): (.*)"), N_("missing column(s): %s")),
    (re.compile(r"the file is larger than 50 MB"), N_("the file is larger than 50 MB")),
    (re.compile(r"the file is not UTF-8 \(byte (\d+)\); save it as CSV UTF-8 and try again"),
     N_("the file is not UTF-8 (byte %s); save it as CSV UTF-8 and try again")),
]

# CSV columns as the dashboard's field labels (a person's name, not a zone's).
_FIELDS = {
    "name": lambda: pgettext("person", "Name"),
    "email": lambda: gettext("Email"),
    "organization": lambda: gettext("Organization"),
    "country": lambda: gettext("Country"),
    "language": lambda: gettext("Language"),
    "access_level": lambda: gettext("Access level"),
    "days": lambda: gettext("Days"),
    "external_id": lambda: gettext("External id"),
}


def import_message(message: str) -> str:
    for pattern, msgid in _MESSAGES:
        if m := pattern.fullmatch(message.strip()):
            return gettext(msgid, *m.groups())
    return message


def import_field(field: str | None) -> str:
    """"姓名 (name)": the label in the reader's language and the CSV column to look for."""
    if not field:
        return "—"
    label = _FIELDS.get(field)
    return f"{label()} ({field})" if label else field
