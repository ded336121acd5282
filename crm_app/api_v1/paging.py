"""Cursor pagination of the REST API's lists: keyset over (sort column, id), so rows inserted or deleted while a
client pages through a list make it skip or repeat none of the others."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, Field

from crm_app.api_v1.problems import ApiProblem

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
Row = TypeVar("Row")


class Page(BaseModel, Generic[Row]):
    """One page of a list. Pass `next_cursor` back as `cursor` for the next page; null on the last one."""

    data: list[Row]
    next_cursor: str | None = Field(description="Opaque; valid with the same sort. Null when no row follows.")


@dataclass(frozen=True)
class Sort:
    """A list's order: `column` (never NULL) ascending or descending, then the id the same way."""

    name: str
    column: Any
    id_column: Any
    descending: bool

    @classmethod
    def of(cls, choice: str, columns: dict[str, Any], id_column: Any) -> "Sort":
        name = choice.removeprefix("-")
        return cls(name=choice, column=columns[name], id_column=id_column, descending=choice.startswith("-"))


def sort_choices(*names: str) -> tuple[str, ...]:
    """The values a list's `sort` parameter takes: each column ascending, then descending with a leading '-'."""
    return names + tuple(f"-{name}" for name in names)


def _encoded(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _decoded(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        moment = datetime.fromisoformat(value["t"])
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(value, dict) and set(value) == {"d"} and isinstance(value["d"], str):
        return date.fromisoformat(value["d"])
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    raise ValueError("not a cursor value")


def encode_cursor(sort: Sort, value: Any, row_id: int) -> str:
    raw = json.dumps([sort.name, _encoded(value), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, int]:
    """The (sort value, id) a cursor points after; 400 when it is not one this list and sort gave."""
    try:
        name, value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if name != sort.name or isinstance(row_id, bool) or not isinstance(row_id, int):
            raise ValueError("another sort")
        return _decoded(value), row_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiProblem(400, "bad_cursor", "Pass back a next_cursor this list gave, with the same sort.",
                         errors={"cursor": "Not a cursor of this list and sort."}) from None


def keyset_page(session, statement, *, sort: Sort, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """Up to `limit` rows of `statement` (whose first entity is the listed record) after `cursor`, in `sort`'s
    order, and the cursor of the next page (None when no row follows)."""
    key = sa.tuple_(sort.column, sort.id_column)
    if cursor:
        value, row_id = decode_cursor(sort, cursor)
        after = sa.tuple_(sa.literal(value, sort.column.type), sa.literal(row_id, sort.id_column.type))
        statement = statement.where(key < after if sort.descending else key > after)
    order = (sort.column.desc(), sort.id_column.desc()) if sort.descending else (sort.column.asc(), sort.id_column.asc())
    rows = session.exec(statement.order_by(*order).limit(limit + 1)).all()
    if len(rows) <= limit:
        return list(rows), None
    last = rows[limit - 1]
    record = last[0] if isinstance(last, tuple) or hasattr(last, "_fields") else last
    return list(rows[:limit]), encode_cursor(sort, getattr(record, sort.column.key), getattr(record, sort.id_column.key))


def page_of(session, statement, *, sort: Sort, cursor: str | None, limit: int, out: type[BaseModel]) -> Page:
    """keyset_page's rows as `out` records in a Page."""
    rows, following = keyset_page(session, statement, sort=sort, cursor=cursor, limit=limit)
    return Page[out](data=[out.model_validate(row) for row in rows], next_cursor=following)
