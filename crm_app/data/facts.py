"""The fact tables as pandas DataFrames, in the column names the analytics functions expect.

One read per table, in plain SQL that SQLite and PostgreSQL both run, so a million orders load in
seconds: timestamps become tz-aware UTC `datetime64`, repeated labels become categoricals.
`load_facts` reads everything once; `Facts.visible_to(actor)` narrows it to what the actor may see
(a sales rep: the customers they own and everything hanging off them). Callers that cache `Facts`
between requests must reload when the data changes. Deals also carry `stage_reached`, the last open stage
they were in, from the audit trail of their stage moves (`with_stage_reached`). `load_model_facts` reads only
what the /insights models use, of every customer or of a sample of them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text
from sqlmodel import Session, func, select

from crm_app.data.models import AuditLog
from crm_app.data.permissions import Actor
from crm_app.domain import OPEN_STAGES

ORDERS_SQL = """
    SELECT o.id, o.customer_id, o.ordered_at, o.status, o.channel, o.total_amount,
           c.region, c.segment, c.owner_id
    FROM sales_order o JOIN customer c ON c.id = o.customer_id
"""
LINES_SQL = """
    SELECT l.order_id, l.product_id, p.category, l.quantity, l.unit_price, l.discount,
           p.unit_cost
    FROM order_line l JOIN product p ON p.id = l.product_id
"""
CUSTOMERS_SQL = """
    SELECT id, name, email, phone, company, region, segment, acquisition_channel, owner_id,
           created_at, updated_at
    FROM customer
"""
DEALS_SQL = """
    SELECT d.id, d.customer_id, d.owner_id, d.stage, d.amount, d.probability, d.expected_close_date,
           d.created_at, d.closed_at, d.lost_reason, c.region, c.segment
    FROM deal d JOIN customer c ON c.id = d.customer_id
"""
FEEDBACK_SQL = """
    SELECT f.id, f.customer_id, f.csat, f.nps, f.sentiment, f.topic, f.status, f.submitted_at,
           c.region, c.segment, c.owner_id
    FROM feedback f LEFT JOIN customer c ON c.id = f.customer_id
"""
ACTIVITIES_SQL = """
    SELECT id, customer_id, deal_id, owner_id, kind, due_at, done, done_at, created_at
    FROM activity
"""
CAMPAIGNS_SQL = "SELECT id, name, channel, start_date, end_date, cost FROM campaign"
# The orders as the /insights models read them (RFM, CLV, churn and the forecast): no join, no filter columns.
MODEL_ORDERS_SQL = "SELECT customer_id, ordered_at, status, total_amount FROM sales_order"
# Every order's amount summed per UTC day and status: the company's revenue history in a few thousand rows.
DAILY_REVENUE_SQL = """
    SELECT date(ordered_at) AS ordered_at, status, SUM(total_amount) AS total_amount, COUNT(*) AS orders
    FROM sales_order GROUP BY date(ordered_at), status
"""
CAMPAIGN_TARGETS_SQL = """
    SELECT t.campaign_id, t.customer_id, t.target_group, t.responded, t.responded_at, t.attributed_revenue,
           c.region, c.segment, c.owner_id
    FROM campaign_target t JOIN customer c ON c.id = t.customer_id
"""

_TIMESTAMPS = ("ordered_at", "created_at", "updated_at", "closed_at", "submitted_at", "due_at", "done_at",
               "responded_at")
_DATES = ("expected_close_date", "start_date", "end_date")
_LABELS = ("status", "channel", "region", "segment", "category", "stage", "acquisition_channel", "kind", "topic")
_BOOLEANS = ("done", "responded")
_AMOUNTS = ("total_amount", "unit_price", "discount", "unit_cost", "amount", "probability", "cost",
            "attributed_revenue", "sentiment")


def _timestamps(values: pd.Series, *, utc: bool) -> pd.Series:
    # SQLite hands back ISO text, PostgreSQL datetime objects (a column comes from one driver: one type).
    first = values.first_valid_index()
    text_values = first is not None and isinstance(values.loc[first], str)
    return pd.to_datetime(values, utc=utc, format="ISO8601" if text_values else None)


def read_frame(connection: Connection, sql: str) -> pd.DataFrame:
    """Run `sql` and type its columns: UTC timestamps, dates, categorical labels, booleans, floats."""
    # The driver's own cursor: SQLAlchemy's row objects cost three times as much at a million rows.
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=[d[0] for d in cursor.description])
    finally:
        cursor.close()
    for column in frame.columns:
        if column in _TIMESTAMPS:
            frame[column] = _timestamps(frame[column], utc=True)
        elif column in _DATES:
            frame[column] = _timestamps(frame[column], utc=False)
        elif column in _LABELS:
            frame[column] = frame[column].astype("category")
        elif column in _BOOLEANS:
            frame[column] = frame[column].astype(bool)
        elif column in _AMOUNTS:
            frame[column] = frame[column].astype(float)
    return frame


@dataclass(frozen=True)
class Facts:
    """Every fact table the analytics read. Orders, deals and feedback carry their customer's region,
    segment and owner, so filters need no join."""

    orders: pd.DataFrame
    lines: pd.DataFrame
    customers: pd.DataFrame
    deals: pd.DataFrame
    feedback: pd.DataFrame
    activities: pd.DataFrame
    campaigns: pd.DataFrame
    campaign_targets: pd.DataFrame

    @property
    def rows(self) -> int:
        return sum(len(getattr(self, f.name)) for f in fields(self))

    def visible_to(self, actor: Actor) -> Facts:
        """What `actor` may see: everything for executives and admins, a rep's own book otherwise."""
        if actor.reads_everything:
            return self
        customers = self.customers[self.customers["owner_id"] == actor.id]
        own = customers["id"]
        orders = self.orders[self.orders["customer_id"].isin(own)]
        return replace(
            self,
            customers=customers,
            orders=orders,
            lines=self.lines[self.lines["order_id"].isin(orders["id"])],
            deals=self.deals[self.deals["owner_id"] == actor.id],
            feedback=self.feedback[self.feedback["customer_id"].isin(own)],
            activities=self.activities[self.activities["owner_id"] == actor.id],
            campaign_targets=self.campaign_targets[self.campaign_targets["customer_id"].isin(own)],
        )


def last_open_stages(session: Session, deal_ids: np.ndarray | None = None) -> pd.Series:
    """Per deal id, the last open stage it moved out of, from the audit trail of its stage moves (deals.move_deal
    writes one row per move with the old and the new stage): the old stage of its last move whose old stage was
    open. For a closed deal that is the stage it was in when it closed, even if it was reopened and closed again
    in between. Deals without such a move are absent; so are deals not in `deal_ids` when it is given."""
    left = AuditLog.old_values["stage"].as_string()
    only = [] if deal_ids is None else [text(_in("entity_id", deal_ids))]
    last_move = (
        select(func.max(AuditLog.id).label("id"))
        .where(AuditLog.entity == "deal", AuditLog.action == "stage_move", left.in_([s.value for s in OPEN_STAGES]),
               *only)
        .group_by(AuditLog.entity_id)
        .subquery()
    )
    rows = session.execute(select(AuditLog.entity_id, left).join(last_move, last_move.c.id == AuditLog.id)).all()
    return pd.Series(dict(rows), dtype=object, name="stage_reached").rename_axis("deal_id")


def with_stage_reached(deals: pd.DataFrame, last_open: pd.Series) -> pd.DataFrame:
    """`deals` with `stage_reached`: an open deal's current stage; for a closed deal the last open stage it left
    (`last_open_stages`), missing (NaN) when its history records no move out of an open stage (a deal created
    closed, e.g. imported), because guessing a stage would teach the win model something that never happened."""
    stages = [s.value for s in OPEN_STAGES]
    is_open = deals["stage"].isin(stages).to_numpy()
    reached = deals["stage"].astype(object).where(is_open, deals["id"].map(last_open))
    return deals.assign(stage_reached=pd.Categorical(reached, categories=stages))


def load_facts(session: Session) -> Facts:
    """Read every fact table once, in one transaction, so the frames agree with each other."""
    connection = session.connection()
    return Facts(
        orders=read_frame(connection, ORDERS_SQL),
        lines=read_frame(connection, LINES_SQL),
        customers=read_frame(connection, CUSTOMERS_SQL),
        deals=with_stage_reached(read_frame(connection, DEALS_SQL), last_open_stages(session)),
        feedback=read_frame(connection, FEEDBACK_SQL),
        activities=read_frame(connection, ACTIVITIES_SQL),
        campaigns=read_frame(connection, CAMPAIGNS_SQL),
        campaign_targets=read_frame(connection, CAMPAIGN_TARGETS_SQL),
    )


def customer_ids(session: Session) -> np.ndarray:
    """Every customer's id, ascending."""
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.execute("SELECT id FROM customer ORDER BY id")
        return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
    finally:
        cursor.close()


def _in(column: str, ids) -> str:
    # The ids are integers read from the database, written into the SQL: a bound parameter per id would pass
    # SQLite's limit of 32,766 and an array parameter is PostgreSQL's alone.
    return f"{column} IN ({','.join(str(int(i)) for i in ids) or 'NULL'})"


def _of(column: str, ids: np.ndarray | None) -> str:
    return "" if ids is None else f" WHERE {_in(column, ids)}"


def load_model_facts(session: Session, *, customers: np.ndarray | None = None) -> Facts:
    """What the /insights models read, of the customers `customers` (ids; every customer when None), in one
    transaction: their orders (customer, time, status and amount only), records, feedback and activities, their
    deals and every open deal (the pipeline board shows each open deal's model probability). Order lines,
    campaigns and campaign targets, which no model reads, are empty."""
    connection = session.connection()
    open_stages = ", ".join(f"'{stage.value}'" for stage in OPEN_STAGES)
    deals = read_frame(connection, DEALS_SQL + (f"{_of('d.customer_id', customers)} OR d.stage IN ({open_stages})"
                                                if customers is not None else ""))
    return Facts(
        orders=read_frame(connection, MODEL_ORDERS_SQL + _of("customer_id", customers)),
        lines=read_frame(connection, LINES_SQL + " WHERE 1 = 0"),
        customers=read_frame(connection, CUSTOMERS_SQL + _of("id", customers)),
        deals=with_stage_reached(deals, last_open_stages(session, None if customers is None else deals["id"])),
        feedback=read_frame(connection, FEEDBACK_SQL + _of("f.customer_id", customers)),
        activities=read_frame(connection, ACTIVITIES_SQL + _of("customer_id", customers)),
        campaigns=read_frame(connection, CAMPAIGNS_SQL + " WHERE 1 = 0"),
        campaign_targets=read_frame(connection, CAMPAIGN_TARGETS_SQL + " WHERE 1 = 0"),
    )


def daily_revenue(session: Session) -> pd.DataFrame:
    """Every order's total_amount summed per UTC day (ordered_at, midnight) and status, with the number of
    orders: what the revenue forecast reads of a company whose orders are too many to load."""
    return read_frame(session.connection(), DAILY_REVENUE_SQL)
