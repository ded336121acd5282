"""Exported CSV cells never start a spreadsheet formula; phone numbers keep their plus sign."""

import pytest

from crm_app.downloads import safe_cell


@pytest.mark.parametrize("value, cell", [
    ("Ada Lovelace", "Ada Lovelace"), (None, ""), ("+44 20 7946 0958", "+44 20 7946 0958"),
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"), ("@SUM(A1)", "'@SUM(A1)"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3", "'-2+3"), ("\t=1", "'\t=1"),
])
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell
