"""CSV import of attendees: all rows are valid, or nothing is written.

UTF-8 with or without BOM; columns ``name, organization, country, email, language,
access_level, days`` and optionally ``external_id`` (the upsert key when present,
otherwise the email). ``days`` is empty or ``all`` (the level's days), day numbers
``1;2`` (1 = the event's first day), or ISO dates ``2026-11-25;2026-11-26``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Iterator

from pydantic import ValidationError

from shared.schemas import AttendeeIn, ImportReport, ImportRowError, refuse_control_characters

from ...errors import AdmitError, ValidationFailed
from ...models import Attendee, Event
from ..db import transactional
from ..event import setup
from . import attendees
from .text import whole_number

REQUIRED = ("name", "email", "access_level")
KNOWN = (*REQUIRED, "organization", "country", "language", "days", "external_id")
MAX_BYTES = 50 * 1024 * 1024
WRITE_CHUNK = 25  # rows per transaction: far shorter than the 2 s a scan waits for SQLite
YIELD_S = 0.02  # between chunks, longer than a waiting writer's poll (services.db)
# Python's csv refuses fields over 131,072 characters with csv.Error; a long cell is the
# row's problem (reported as too long by the schema), not the whole request's.
csv.field_size_limit(MAX_BYTES)


class ImportRejected(ValidationFailed):
    code = "import_rejected"


def _parse_days(event: Event, text: str) -> list[dt.date] | None:
    text = text.strip()
    if not text or text.lower() == "all":
        return None
    days: list[dt.date] = []
    for part in text.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        number = whole_number(part, maximum=9999)  # a day of the event, counted from 1
        if number is not None:
            days.append(event.start_date + dt.timedelta(days=number - 1))
        else:
            days.append(dt.date.fromisoformat(part))
    return days


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportRejected("the file is larger than 50 MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            f"the file is not UTF-8 (byte {exc.start}); save it as CSV UTF-8 and try again"
        ) from exc


def _rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str] | None]]:
    """Rows numbered from 2 (row 1 is the header); ``None`` for a row csv cannot read."""
    row_no = 1
    while True:
        row_no += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield row_no, None
            return
        yield row_no, row


def _cells_with_control_characters(row: dict[str, str]) -> list[tuple[str | None, str]]:
    found = []
    for key, value in row.items():
        for cell in value if isinstance(value, list) else [value or ""]:
            try:
                refuse_control_characters(cell)
            except ValueError as exc:
                found.append((key, str(exc)))
    return found


# Not one transaction: every row is validated first (a bad row refuses the file), then
# ``_write_rows`` commits chunk by chunk so scans get the writer in between.
def import_csv(event: Event, data: bytes, *, actor: str) -> ImportReport:
    """Every row is checked before any is written (a bad row refuses the whole file), with
    no write lock held; then rows are written ``WRITE_CHUNK`` to a transaction, so on
    SQLite scans get the writer between chunks instead of waiting out the whole file."""
    reader = csv.DictReader(io.StringIO(_decode(data), newline=""))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ImportRejected(f"the header row is not readable as CSV: {exc}") from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRejected(
            f"missing column(s): {', '.join(missing)}",
            details=ImportReport(created=0, updated=0, errors=[
                ImportRowError(row=1, field=c, message="missing column") for c in missing
            ]).model_dump(),
        )
    reader.fieldnames = header
    errors: list[ImportRowError] = []
    valid: list[tuple[int, AttendeeIn]] = []
    seen: dict[str, int] = {}
    for row_no, row in _rows(reader):
        if row is None:
            errors.append(ImportRowError(row=row_no, field=None, message="not readable as CSV"))
            break  # the reader cannot resynchronise after a broken row
        if None in row:
            errors.append(ImportRowError(row=row_no, field=None, message="more cells than columns"))
            continue
        dirty = _cells_with_control_characters(row)
        if dirty:
            errors.extend(ImportRowError(row=row_no, field=f, message=m) for f, m in dirty)
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k in KNOWN}
        if not any(values.values()):
            continue  # a blank line is not an error
        try:
            days = _parse_days(event, values.get("days", ""))
            item = AttendeeIn(
                name=values.get("name", ""),
                email=values.get("email", ""),
                organization=values.get("organization", ""),
                country=values.get("country", "").upper(),
                language=values.get("language") or "en",
                access_level=values.get("access_level", ""),
                days=days,
                external_id=values.get("external_id") or None,
            )
            setup.level_by_name(event, item.access_level)
            if item.days is not None:
                setup.dates_to_offsets(event, item.days)
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else None
                errors.append(ImportRowError(row=row_no, field=field, message=err["msg"]))
            continue
        except ValueError as exc:
            errors.append(ImportRowError(row=row_no, field="days", message=str(exc)))
            continue
        except AdmitError as exc:
            field = "days" if "day" in exc.message else "access_level"
            errors.append(ImportRowError(row=row_no, field=field, message=exc.message))
            continue
        key = item.external_id or str(item.email).lower()
        if key in seen:
            errors.append(ImportRowError(
                row=row_no, field="external_id" if item.external_id else "email",
                message=f"duplicate of row {seen[key]}"))
            continue
        seen[key] = row_no
        valid.append((row_no, item))
    if errors:
        report = ImportReport(created=0, updated=0, errors=errors)
        raise ImportRejected(
            f"{len(errors)} problem(s) in the file; nothing was imported",
            details=report.model_dump(),
        )
    created = updated = 0
    for start in range(0, len(valid), WRITE_CHUNK):
        made, changed = _write_rows(event, [i for _, i in valid[start:start + WRITE_CHUNK]],
                                    actor=actor)
        created, updated = created + made, updated + changed
        time.sleep(YIELD_S)  # let a waiting scan take the writer before the next chunk
    return ImportReport(created=created, updated=updated, errors=[])


@transactional
def _write_rows(event: Event, items: list[AttendeeIn], *, actor: str) -> tuple[int, int]:
    created = updated = 0
    for item in items:
        existing: Attendee | None = (
            attendees.find_by_external_id(event, item.external_id) if item.external_id
            else attendees.find_by_email(event, str(item.email))
        )
        if existing is None:
            attendees.create(event, item, actor=actor)
            created += 1
        else:
            attendees.update(event, existing, item, actor=actor)
            updated += 1
    return created, updated
