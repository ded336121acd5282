"""A download handler's answer: the table in the format the user chose (crm_app/downloads.py), or why not."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.downloads import FORMATS, download


def refused_format(file_format: Any) -> Any:
    """A toast when a client asks for a format other than CSV or XLSX; None when it is one of them."""
    return None if file_format in FORMATS else rx.toast.error(i18n.gettext("Choose CSV or Excel."))


def offer(file_format: str, stem: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Any:
    """rx.download of the table as `stem`.csv or `stem`.xlsx (a format refused_format let through)."""
    file = download(file_format, stem, columns, rows)
    return rx.download(data=file.data, filename=file.filename, mime_type=file.mime_type)
