"""Rows out as CSV or XLSX, in bounded memory, safe to open in a spreadsheet.

CSV is UTF-8 with a BOM (without it Excel reads Chinese and Arabic as mojibake) and is
streamed: rows are encoded in chunks as the database cursor yields them. XLSX uses
openpyxl's write-only mode, which spills rows to a temporary file as they come, so a
500,000-row sheet does not sit in memory as cell objects.

Formula injection (OWASP "CSV injection"): a cell starting with ``= + - @``, tab or CR
gets a leading apostrophe in both formats. In XLSX that also keeps every text cell a
string: openpyxl stores a string as a formula exactly when it starts with ``=``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

Cell = str | int | float | dt.datetime | dt.date | None
_DANGEROUS = frozenset("=+-@\t\r")
CSV_CHUNK_ROWS = 1000
BOM = "\ufeff"


def neutralise(value: str) -> str:
    return "'" + value if value and value[0] in _DANGEROUS else value


def _csv_text(value: Cell) -> str:
    # The hot loop of a 500,000-row export: the common types first, exact type checks.
    kind = type(value)
    if kind is str:
        return "'" + value if value and value[0] in _DANGEROUS else value  # type: ignore[index,operator,return-value]
    if value is None:
        return ""
    if kind is dt.datetime or kind is dt.date:
        return value.isoformat()  # type: ignore[union-attr]  # aware, in the event's zone
    return str(value)


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """UTF-8 with BOM, CRLF line ends (RFC 4180), yielded every ``CSV_CHUNK_ROWS`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([neutralise(h) for h in header])
    for count, row in enumerate(rows, 1):
        writer.writerow([_csv_text(v) for v in row])
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_value(value: Cell) -> Cell:
    """Plain values, not cell objects: per-cell styles made a 500,000-row sheet ten times
    slower. A neutralised string never starts with ``=``, so openpyxl stores it as a
    string (its formula guess is exactly that prefix); datetimes get its default date
    format, naive, as Excel has no time zones (the wall-clock time in the event's zone)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))  # XML 1.0 cannot carry them
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def xlsx_file(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """Write the sheet to a temporary file and return its path (the caller deletes it)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for name in header:
        cell = WriteOnlyCell(ws, value=_xlsx_value(name))
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
    fd, path = tempfile.mkstemp(prefix="admit-export-", suffix=".xlsx")
    os.close(fd)
    wb.save(path)
    return path


def file_chunks(path: str, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """Stream a temporary file and delete it once sent (or once the client went away)."""
    try:
        with open(path, "rb") as fh:
            while data := fh.read(chunk):
                yield data
    finally:
        os.unlink(path)
