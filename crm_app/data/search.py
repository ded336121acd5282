"""Substring search over customers (name, email, company, phone) and deals (title) that an index answers, on SQLite
and on PostgreSQL.

A search for "smit" must find "Goldsmith", so a B-tree index cannot help and a plain LIKE reads every row.
Both databases index trigrams (every three-character run of the lower-cased text) instead:

- SQLite: an FTS5 table with the trigram tokenizer (`customer_search`, migration 0005; `deal_search`, 0022) over
  the searched columns, kept in step with its table by triggers. A phrase query finds the rows holding the term
  anywhere in one column, case-insensitively, exactly what `lower(column) LIKE '%term%'` finds.
- PostgreSQL: one pg_trgm GIN index per searched column on `lower(column)`; the LIKE itself uses them.

Terms shorter than three characters have no trigram: they fall back to the LIKE scan on both.
Every term is cleaned first (validation.search_term): a NUL made FTS5 raise and LIKE match every row on SQLite.
A term with nothing left after cleaning (only control characters) matches no row: no stored text holds them.
A migration must not rebuild the customer or deal table with batch mode on SQLite: that drops the triggers.

The header's search (`newest_matches`) reads the index in its rowid order, newest first, and stops at the page:
its cost follows the page, not the matches (a million customers: a common fragment such as "mail" matches 350,000
of them, and sorting those by name took 486 ms).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from crm_app.data.models import Customer, Deal
from crm_app.data.validation import search_term

SEARCHED_COLUMNS = ("name", "email", "company", "phone")
SQLITE_INDEX = "customer_search"
POSTGRES_INDEXES = {column: f"ix_customer_{column}_trigrams" for column in SEARCHED_COLUMNS}
SHORTEST_INDEXED_TERM = 3


@dataclass(frozen=True)
class SearchIndex:
    """A table's searched columns and the index that answers a search of them on each database."""

    model: type[SQLModel]
    columns: tuple[str, ...]
    sqlite_index: str
    postgres_indexes: dict[str, str]


CUSTOMERS = SearchIndex(Customer, SEARCHED_COLUMNS, SQLITE_INDEX, POSTGRES_INDEXES)
DEALS = SearchIndex(Deal, ("title",), "deal_search", {"title": "ix_deal_title_trigrams"})
SEARCH_INDEXES = (CUSTOMERS, DEALS)


def escaped(term: str) -> str:
    """`term` lower-cased, with LIKE's wildcards escaped by a backslash (pass escape="\\")."""
    return term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(term: str) -> str:
    """A LIKE pattern matching `term` anywhere (against a lower-cased column, with escape="\\")."""
    return f"%{escaped(term)}%"


def create_index_statements(index: SearchIndex, dialect: str) -> list[str]:
    """The SQL that makes `index` (migrations 0005, 0022). SQLite: an external-content FTS5 table that holds only the
    trigram index, triggers that keep it in step with its table, and its first build. PostgreSQL: a trigram GIN
    index per searched column on `lower(column)`, which the LIKE itself uses."""
    table, name = index.model.__tablename__, index.sqlite_index
    if dialect == "postgresql":
        return ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
            f"CREATE INDEX {postgres} ON {table} USING gin (lower({column}) gin_trgm_ops)"
            for column, postgres in index.postgres_indexes.items()]
    columns = ", ".join(index.columns)
    removes_old = (f"INSERT INTO {name} ({name}, rowid, {columns}) "
                   f"VALUES ('delete', old.id, {', '.join(f'old.{column}' for column in index.columns)});")
    adds_new = (f"INSERT INTO {name} (rowid, {columns}) "
                f"VALUES (new.id, {', '.join(f'new.{column}' for column in index.columns)});")
    return [f"CREATE VIRTUAL TABLE {name} USING fts5({columns}, content='{table}', content_rowid='id', "
            f"tokenize='trigram')",
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {adds_new} END",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {removes_old} END",
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF {columns} ON {table} BEGIN {removes_old} {adds_new} END",
            f"INSERT INTO {name} ({name}) VALUES ('rebuild')"]


def drop_index_statements(index: SearchIndex, dialect: str) -> list[str]:
    """The SQL that removes what create_index_statements made."""
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS {postgres}" for postgres in index.postgres_indexes.values()]
    return [f"DROP TRIGGER IF EXISTS {index.sqlite_index}_{action}" for action in ("insert", "delete", "update")] + [
        f"DROP TABLE IF EXISTS {index.sqlite_index}"]


def _like_any_column(term: str, columns: tuple[str, ...] = SEARCHED_COLUMNS, model: type[SQLModel] = Customer
                     ) -> sa.ColumnElement[bool]:
    pattern = contains_pattern(term)
    return sa.or_(*(sa.func.lower(getattr(model, column)).like(pattern, escape="\\") for column in columns))


def _phrase(term: str) -> str:
    """`term` as one FTS5 phrase: found as it is, anywhere in a column."""
    return '"' + term.replace('"', '""') + '"'


def name_or_company_matches(term: str) -> sa.ColumnElement[bool]:
    """A condition on Customer: the cleaned `term` occurs, ignoring case, in the name or the company (a scan)."""
    term = search_term(term)
    return _like_any_column(term, ("name", "company")) if term else sa.false()


# From this many matches on, SQLite finds a page of them sorted sooner by walking the sort column's index and
# keeping the rows that match than by fetching and sorting every match (measured on 100,000 customers: 1,100
# matches 3.4 against 6.6 ms; no match at all 22 against 0.3 ms).
WALK_IN_ORDER_FROM = 1000


def customer_matches(session: Session, term: str, *, matches: int = 0) -> sa.ColumnElement[bool]:
    """A condition on Customer: `term` occurs, ignoring case, in the name, email, company or phone.
    `matches`, when already counted, picks SQLite's plan for a sorted page (WALK_IN_ORDER_FROM)."""
    term = search_term(term)
    if not term:
        return sa.false()
    if session.get_bind().dialect.name != "sqlite" or len(term) < SHORTEST_INDEXED_TERM:
        return _like_any_column(term)
    matching_ids = (sa.text(f"SELECT rowid FROM {SQLITE_INDEX} WHERE {SQLITE_INDEX} MATCH :phrase")
                    .bindparams(phrase=_phrase(term)).columns(sa.column("rowid", sa.Integer)))
    # "id + 0" cannot look rows up by id, so the planner walks an index in the requested order instead.
    return (Customer.id + 0 if matches >= WALK_IN_ORDER_FROM else Customer.id).in_(matching_ids)


def newest_matches(session: Session, statement: sa.Select, index: SearchIndex, term: str) -> sa.Select:
    """`statement` (over `index.model`) narrowed to the rows where the cleaned `term` occurs, ignoring case, in one
    of the searched columns, newest (highest id) first. On SQLite the search index is read in that order, so with
    a LIMIT the query stops at the page; nothing usable in `term` matches no row."""
    term = search_term(term)
    if not term:
        return statement.where(sa.false())
    row_id = index.model.id
    if session.get_bind().dialect.name != "sqlite" or len(term) < SHORTEST_INDEXED_TERM:
        return statement.where(_like_any_column(term, index.columns, index.model)).order_by(row_id.desc())
    found = sa.table(index.sqlite_index, sa.column("rowid", sa.Integer))
    return (statement.join(found, found.c.rowid == row_id)
            .where(sa.text(f"{index.sqlite_index} MATCH :phrase").bindparams(phrase=_phrase(term)))
            .order_by(found.c.rowid.desc()))


def rebuild_sqlite_indexes(cursor) -> None:
    """Index every customer and deal anew, through a DB-API cursor (a bulk load that ran without the indexes'
    triggers)."""
    for index in SEARCH_INDEXES:
        cursor.execute(f"INSERT INTO {index.sqlite_index} ({index.sqlite_index}) VALUES ('rebuild')")


def drop_deleted_terms(session: Session) -> None:
    """Merge SQLite's search indexes into one segment each: a changed or deleted row's old trigrams are only marked
    deleted until a merge, and a privacy erase must leave none of them. PostgreSQL's indexes are rebuilt by VACUUM
    FULL."""
    if session.get_bind().dialect.name == "sqlite":
        for index in SEARCH_INDEXES:
            session.exec(sa.text(f"INSERT INTO {index.sqlite_index} ({index.sqlite_index}) VALUES ('optimize')"))
