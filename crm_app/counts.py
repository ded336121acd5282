"""A number with its noun in the right form, as people read it: "1 order", "2 orders", "1,234 bad rows", "3 笔订单".
The counted messages are the catalogue's plural entries ("{n} order" / "{n} orders", crm_app/i18n.py)."""

from __future__ import annotations

from crm_app import i18n


def count_of(n: int, singular: str, plural: str | None = None, language: str | None = None) -> str:
    """`n` with thousands separators and `singular` for exactly one, else `plural` (default: singular + "s"), in
    `language` (default: the acting user's)."""
    return i18n.ngettext("{n} " + singular, "{n} " + (plural or singular + "s"), n, language, n=f"{n:,}")
