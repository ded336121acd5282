"""What every resource module of the REST API shares: UTC times in answers, the id path parameter, query limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict

from crm_app.api_v1.paging import DEFAULT_LIMIT, MAX_LIMIT


def _utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The record's id.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page, 1 to {MAX_LIMIT}.")]
Cursor = Annotated[str | None, Query(max_length=512, description="The `next_cursor` of the previous page.")]
FilterId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]
DEFAULT = DEFAULT_LIMIT


class Record(BaseModel):
    """An answer's record, read from the table row's attributes."""

    model_config = ConfigDict(from_attributes=True)
