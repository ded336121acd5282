"""What the generator produces and the loader stores: the demo company as one DataFrame per table, the load's
summary, and frame cells as the plain Python values every database driver binds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


# --- what the generator produces -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCompany:
    """The generated rows, one frame per table in foreign-key order, and the data-quality defects planted in them.

    app_user has no password_hash: hashes are salted, so they are added when loading to keep generation pure.
    `defects` is the ground truth for data-quality checks: customer_id, defect, duplicate_of.
    """

    tables: dict[str, pd.DataFrame]
    defects: pd.DataFrame


@dataclass(frozen=True)
class SeedSummary:
    rows: dict[str, int]
    generate_seconds: float  # the drawing's own time, on a thread alongside the load
    seconds: float  # the whole seed, drawing and loading together

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def describe(self) -> str:
        counts = ", ".join(f"{count:,} {table}" for table, count in self.rows.items())
        return f"Loaded the demo company in {self.seconds:.1f} s: {counts}."


def python_values(column: pd.Series) -> list:
    """Plain Python values every driver binds: aware datetimes (UTCDateTime requires them), None for missing."""
    values = column.dt.to_pydatetime() if isinstance(column.dtype, pd.DatetimeTZDtype) else column.astype(object)
    return values.where(column.notna(), None).tolist()
