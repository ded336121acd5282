"""Downloads as CSV and XLSX: the workbook read back with openpyxl holds typed cells (numbers, dates, booleans) and
the same formula-safe text as the CSV."""

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from crm_app.downloads import as_csv, as_xlsx, download, safe_cell

COLUMNS = ("order", "day", "ordered_at", "customer", "phone", "amount", "probability", "paid", "note")
ROWS = [
    (1001, date(2026, 3, 14), datetime(2026, 3, 14, 10, 30, tzinfo=UTC), "Ada Lovelace", "+44 20 7946 0958",
     303.97, 0.125, True, "=HYPERLINK(\"http://evil\")"),
    (np.int64(1002), pd.Timestamp("2026-03-15").date(), datetime(2026, 3, 15, 9, 0, tzinfo=timezone(timedelta(hours=2))),
     "@SUM(A1)", None, np.float64(100.0), Decimal("0.5"), np.bool_(False), "bell\x07 rings"),
    (1003, pd.NaT, None, "-2+3", "", float("nan"), np.float64(0.1), None, "\tindented"),
]


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_the_workbook_keeps_numbers_dates_and_booleans_typed():
    sheet = _sheet(as_xlsx(COLUMNS, ROWS, sheet="cockpit-revenue"))
    assert sheet.title == "cockpit-revenue"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == list(COLUMNS)
    assert values[1] == [1001, datetime(2026, 3, 14), datetime(2026, 3, 14, 10, 30), "Ada Lovelace",
                         "+44 20 7946 0958", 303.97, 0.125, True, "'=HYPERLINK(\"http://evil\")"]
    # 09:00 at UTC+2 is 07:00 UTC; numpy and Decimal values arrive as plain numbers.
    assert values[2] == [1002, datetime(2026, 3, 15), datetime(2026, 3, 15, 7, 0), "'@SUM(A1)", None, 100, 0.5,
                         False, "bell\ufffd rings"]
    assert values[3] == [1003, None, None, "'-2+3", None, None, 0.1, None, "'\tindented"]
    assert [type(cell.value) for cell in sheet[2]][:3] == [int, datetime, datetime]
    assert (sheet["B2"].number_format, sheet["C2"].number_format) == ("yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss")
    assert (sheet["F2"].number_format, sheet["F3"].number_format) == ("0.00##", "General")
    assert sheet["A1"].font.bold and not sheet["A2"].font.bold
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula anywhere


def test_the_csv_has_the_same_cells_as_text():
    rows = list(csv.reader(io.StringIO(as_csv(COLUMNS, ROWS))))
    assert rows == [
        list(COLUMNS),
        ["1001", "2026-03-14", "2026-03-14T10:30:00+00:00", "Ada Lovelace", "+44 20 7946 0958", "303.97", "0.125",
         "True", "'=HYPERLINK(\"http://evil\")"],
        ["1002", "2026-03-15", "2026-03-15T09:00:00+02:00", "'@SUM(A1)", "", "100", "0.5", "False",
         "bell\x07 rings"],
        ["1003", "", "", "'-2+3", "", "", "0.1", "", "'\tindented"],
    ]


def test_text_cells_are_made_safe_by_the_one_definition():
    for value in ("=1+1", "+cmd|' /C calc'!A0", "@x", "-x", "+44 20 7946 0958", "Plain"):
        [[cell]] = list(_sheet(as_xlsx(["v"], [[value]])).iter_rows(min_row=2, values_only=True))
        [[text]] = list(csv.reader(io.StringIO(as_csv(["v"], [[value]]))))[1:]
        assert cell == text == safe_cell(value)


def test_download_names_the_file_after_its_format():
    assert download("csv", "customers", ["a"], [[1]]).filename == "customers.csv"
    xlsx = download("xlsx", "customers", ["a"], [[1]])
    assert (xlsx.filename, xlsx.mime_type) == (
        "customers.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert xlsx.data[:2] == b"PK"  # a zip container
    with pytest.raises(ValueError):
        download("xls", "customers", ["a"], [[1]])
