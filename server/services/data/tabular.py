"""Rows out as CSV or XLSX, in bounded memory, safe to open in a spreadsheet.

CSV is UTF-8 with a BOM (without it Excel reads Chinese and Arabic as mojibake) and is
streamed: rows are encoded in chunks as the database cursor yields them. XLSX uses
openpyxl's write-only mode, which spills rows to a temporary file as they come, so a
500,000-row sheet does not sit in memory as cell objects.

Formula injection (OWASP "CSV injection"): a cell starting with ``= + - @``, tab or CR
gets a leading apostrophe in both formats. In XLSX every text cell is also written with
the string type, because openpyxl stores a string starting with ``=`` as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

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


def _xlsx_cell(ws: Any, value: Cell) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the wall-clock time in the event's zone, typed as a
        # date so filters and sorting work; the header names the zone.
        cell = WriteOnlyCell(ws, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str):
        # XML 1.0 cannot carry most control characters: drop them rather than fail.
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", neutralise(value)))
        cell.data_type = "s"  # never a formula, whatever the text
        return cell
    return WriteOnlyCell(ws, value=value)


def xlsx_file(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """Write the sheet to a temporary file and return its path (the caller deletes it)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for name in header:
        cell = _xlsx_cell(ws, name)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append([_xlsx_cell(ws, v) for v in row])
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
