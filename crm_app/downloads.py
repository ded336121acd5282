"""Every table the app lets users download, as CSV or as an Excel workbook (XLSX), from one place.

Both formats take the same header and rows and apply the same formula safety (`safe_cell`): a text cell that a
spreadsheet could run as a formula gets a leading apostrophe. The workbook keeps the values' types: numbers are
numbers, dates and times are dates (UTC; Excel has no time zones), booleans are booleans, so a spreadsheet sorts
and sums them without conversion. Nothing here knows Reflex: states hand `download(...)`'s result to rx.download.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Font

FORMATS = ("csv", "xlsx")
MIME_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DECIMAL_FORMAT = "0.00##"  # two decimals, up to four when the value has them


def safe_cell(value: Any) -> str:
    """A text cell that a spreadsheet will not run as a formula (phone numbers like +44... stay as they are)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not text[1:].replace(" ", "").isdigit()):
        return "'" + text
    return text


def _plain(value: Any) -> Any:
    """A cell's value as a plain Python value: None for missing (None, NaN, NaT), numpy and pandas scalars
    unwrapped."""
    if value is None:
        return None
    try:
        if value != value:  # NaN, NaT and pandas' NA are not equal to themselves
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy numbers and booleans
        return value.item()
    return value


def _text(value: Any) -> str:
    """A CSV cell's text: whole floats without ".0", other numbers as Python writes them, times in ISO 8601."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return safe_cell(value)


def as_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The table as CSV text, every text cell through safe_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(column) for column in columns])
    writer.writerows([_text(_plain(value)) for value in row] for row in rows)
    return buffer.getvalue()


def _typed(value: Any) -> tuple[Any, str | None]:
    """The value a workbook cell holds, and its number format (None: General)."""
    value = _plain(value)
    if value is None or isinstance(value, (bool, int)):
        return value, None
    if isinstance(value, (float, Decimal)):
        number = float(value)
        if math.isinf(number):
            return safe_cell(str(number)), None
        return number, None if number.is_integer() else DECIMAL_FORMAT
    if isinstance(value, datetime):
        moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return moment, DATETIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    # Text as the CSV has it, without the control characters an XLSX file cannot hold.
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", safe_cell(value)), None


def as_xlsx(columns: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "Export") -> bytes:
    """The table as an XLSX workbook of one sheet: a bold header row, then typed cells."""
    workbook = Workbook(write_only=True)  # streams rows: a 100,000-row drill-down stays small in memory
    worksheet = workbook.create_sheet(ILLEGAL_CHARACTERS_RE.sub("", sheet)[:31] or "Export")
    worksheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(worksheet, value=_typed(str(column))[0])
        cell.font = Font(bold=True)
        header.append(cell)
    worksheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            typed, number_format = _typed(value)
            cell = WriteOnlyCell(worksheet, value=typed)
            if number_format:
                cell.number_format = number_format
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Download:
    data: str | bytes
    filename: str
    mime_type: str


def download(file_format: str, stem: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Download:
    """The table as `stem`.csv or `stem`.xlsx; ValueError for another format."""
    if file_format == "csv":
        return Download(as_csv(columns, rows), f"{stem}.csv", MIME_TYPES["csv"])
    if file_format == "xlsx":
        return Download(as_xlsx(columns, rows, sheet=stem), f"{stem}.xlsx", MIME_TYPES["xlsx"])
    raise ValueError(f"file_format is one of {FORMATS}")
