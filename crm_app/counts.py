"""A number with its noun in the right form, as people read it: "1 order", "2 orders", "1,234 bad rows"."""

from __future__ import annotations


def count_of(n: int, singular: str, plural: str | None = None) -> str:
    """`n` with thousands separators and `singular` for exactly one, else `plural` (default: singular + "s")."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
