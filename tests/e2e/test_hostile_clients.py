"""Hostile clients: every event handler of every app state, called over the websocket with hostile arguments.

Hypothesis draws, for each handler, arguments no page would send (wrong types, 100 KB strings, ±2**63 and 10**30,
nan and inf, dicts and lists where ids are expected, valid ids of another rep's records, None) and the page the
event claims to come from (/customers/<another rep's customer>, ?customer=…&deal=… of someone else). Each example
is one client calling every handler once, in the order the code defines them, as anonymous, as a sales rep and as
an executive. Afterwards: the database holds exactly what it held in everything the role may not change, nothing
the role may not read reached the client, and the same server processes keep serving a fresh sign-in.

The enumeration walks the rx.State subclasses of crm_app.states. Reflex's own states are skipped (rx.State's
hydrate / hydrate_and_load / set_is_hydrated / setvar, OnLoadInternalState, FrontendEventExceptionState,
SharedStateBaseInternal): they are the framework's page-loading and error-reporting plumbing and touch only its own
vars. The one that writes into the app's state, UpdateVarsInternalState.update_vars_internal (the browser's cookie
sync), is called too, with hostile tokens under the name the session token had when it was a state var: the token
now lives only in an HttpOnly cookie read from the websocket handshake, so a planted one must sign nobody in.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import json
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import reflex as rx
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page, expect
from reflex.state import UpdateVarsInternalState
from sqlmodel import Session, SQLModel, select

import crm_app.states
from crm_app import routes
from crm_app.analytics.cockpit import DRILLS, KPI_BY_KEY
from crm_app.data.db import engine_for
from crm_app.data.models import (
    Activity, ActivityKind, AuthSession, Customer, Deal, Feedback, FeedbackNote, FeedbackStatus, LoggedActivity, Order,
    Role, User, utcnow,
)
from crm_app.domain import DealStage, OrderStatus, SalesChannel
from crm_app.states.auth import AuthState
from crm_app.states.feedback_form import FeedbackFormState
from crm_app.states.home import HomeState
from tests.e2e.conftest import APP_PORT, sign_in, writing
from tests.e2e.websocket_client import ReflexClient, listening_pids, run

pytestmark = pytest.mark.e2e

# The handlers found today; a refactor that makes the walk find fewer fails the guard instead of testing less.
EXPECTED_HANDLERS = 236
EXAMPLES_PER_ROLE = 5

PASSWORDS = {"rep1@example.com": "demo-rep1-2026", "exec@example.com": "demo-exec-2026",
             "rep2@example.com": "demo-rep2-2026", "marketer@example.com": "demo-marketer-2026"}
ROLES = {"anonymous": None, "sales_rep": "rep1@example.com", "executive": "exec@example.com",
         "marketer": "marketer@example.com"}
HOME_SCOPE = {"sales_rep": "Your book of business", "executive": "Company-wide", "marketer": "Company-wide"}

# Planted on a customer of rep2's (and removed afterwards): text only rep2, admins and executives may read.
SENTINELS = {
    "customer": "Zebulon Quillfeather-Sentinel",
    "company": "Sentinel Leakcheck Holdings",
    "email": "zebulon.sentinel@leakcheck.example.net",
    "deal": "Sentinel deal: Quillfeather renewal",
    "task": "Sentinel task: call Zebulon about the renewal",
    "comment": "Sentinel comment: the Quillfeather invoices were wrong",
    "respondent": "respondent.sentinel@leakcheck.example.net",
    "note": "Sentinel note: refund Quillfeather quietly",
    "logged": "Sentinel call: Quillfeather wants a secret discount",
}

# Not fingerprinted, for every role: what a refused or harmless call may legitimately write.
UNWATCHED_TABLES = {
    "audit_log": "append-only history; a change it would record shows in the table that changed",
    "metric_sample": "telemetry: every event, refused or not, is counted",
    "auth_session": "the test clients sign in and out (other users' sessions are checked for leaks instead)",
    "sign_in_attempt": "the audit of sign-ins: the test clients sign in",
    "data_version": "a counter the triggers bump on any write, the sentinel planting included",
    "alembic_version": "the schema revision",
    "sign_in_attempt": "the sign-in audit: a hostile login is a sign-in attempt, recorded by design",
    "two_factor": "a client may start its own enrolment: a new secret for itself, off until a code confirms it",
}
# Tables whose rows of the signed-in user's own they may change, by the column naming that user.
OWN_ROWS = {"saved_view": "owner_id", "api_token": "user_id"}
# What an executive may change: targets (save_target), and refits (model runs, feedback topics).
EXECUTIVE_MAY_CHANGE = {"kpi_target": None, "model_run": None, "feedback": ("topic", "updated_at")}
# What a marketer may change: campaigns, their audiences and mail, and refits; and add call tasks (a phone
# campaign's start gives each target's owner one), so only the tasks that existed before are fingerprinted.
MARKETER_MAY_CHANGE = {"campaign": None, "campaign_target": None, "mail_outbox": None, "model_run": None,
                       "feedback": ("topic", "updated_at")}
MARKETER_MAY_ADD = ("activity",)
MAY_CHANGE = {"executive": EXECUTIVE_MAY_CHANGE, "marketer": MARKETER_MAY_CHANGE}

BARRIER = ("a" * 500, "b" * 501)  # count_comment lengths no hostile call produces (see barrier())


class Huge(str):
    """A 100 KB string that prints short in Hypothesis' reports."""

    def __repr__(self) -> str:
        return f"<{len(self):,} characters>"


HUGE = Huge("A" * 100_000)
INJECTIONS = ["' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "%00", "\x00", "${7*7}", "__class__",
              "constructor", "-1", "0", "1e309", "NaN", "9" * 30, "2026-13-45", "9999-12-31", "0001-01-01",
              "1900-01", "=HYPERLINK(\"http://evil.example\")"]
WORDS = sorted({*DealStage, *OrderStatus, *FeedbackStatus, *Role, *SalesChannel, *ActivityKind, *KPI_BY_KEY, *DRILLS,
                "region", "segment", "owner", "open_deals", "from", "to", "status", "category", "month", "rep",
                "period", "compare", "custom", "nps_band", "csat", "sentiment", "topic", "submitted_from",
                "submitted_to", "quantity", "unit_price", "discount_percent", "channel", "customers", "orders",
                "name", "any", "yes", "desc", "detractor"})
# The values a page really sends for a parameter of that name.
PARAM_WORDS = {"stage": [DealStage.won, DealStage.lost, DealStage.lead], "status": [*OrderStatus, *FeedbackStatus], "role": [*Role],
               "kind": ["customers", "orders"], "chart": [*DRILLS], "field": ["quantity", "unit_price", "discount_percent"],
               "name": ["region", "segment", "owner", "open_deals", "from", "to", "status", "category", "month", "rep",
                        "period", "compare", "stage", "nps_band", "csat", "sentiment", "topic", "submitted_from"]}
FORM_KEYS = ["email", "password", "q", "body", "lost_reason", "title", "customer_id", "amount", "expected_close_date",
             "owner_id", "subject", "kind", "due_on", "due_time", "notes", "confirm_name", "kpi", "target", "from",
             "to", "csat", "nps", "comment", "name", "consent", "full_name", "role", "company", "phone", "region",
             "segment", "acquisition_channel", "id"]


# --- what to call ------------------------------------------------------------------------------------


def _app_states() -> list[type[rx.State]]:
    for module in pkgutil.iter_modules(crm_app.states.__path__, "crm_app.states."):
        importlib.import_module(module.name)

    def walk(state: type[rx.State]) -> Iterator[type[rx.State]]:
        for substate in state.get_substates():
            yield substate
            yield from walk(substate)

    return [state for state in walk(rx.State) if state.__module__.startswith("crm_app.states.")]


@dataclass(frozen=True)
class Handler:
    state: type[rx.State]
    name: str
    params: tuple[str, ...]

    @property
    def event(self) -> str:
        return f"{self.state.get_full_name()}.{self.name}"

    @property
    def label(self) -> str:
        return f"{self.state.__name__}.{self.name}"

    @property
    def background(self) -> bool:
        """A background event runs beside the client's queue, so its answer may come after a later barrier's."""
        return bool(getattr(self.state.event_handlers.get(self.name), "is_background", False))


def _params(state: type[rx.State], name: str) -> tuple[str, ...]:
    signature = inspect.signature(state.event_handlers[name].fn)  # follows the guard's functools.wraps
    return tuple(p for p in signature.parameters if p != "self")


HANDLERS = [Handler(state, name, _params(state, name)) for state in _app_states() for name in state.event_handlers]
COOKIE_SYNC = Handler(UpdateVarsInternalState, "update_vars_internal", ("vars",))


def _signs_out(handler: Handler) -> bool:
    return handler.state is AuthState or handler.label == "AccountState.sign_out_everywhere"


# The order of one example: the page states', then those that can sign the client out.
ROUND = [*(h for h in HANDLERS if not _signs_out(h)), COOKIE_SYNC, *(h for h in HANDLERS if _signs_out(h))]


def test_the_walk_finds_every_handler():
    labels = {handler.label for handler in HANDLERS}
    assert len(HANDLERS) >= EXPECTED_HANDLERS, f"only {len(HANDLERS)} handlers found: {sorted(labels)}"
    assert {"AdminUsersState.set_role", "CustomerState.delete_customer", "PipelineState.reassign", "OrdersState.set_status",
            "InboxState.assign", "PrivacyState.erase", "TasksState.delete_task", "CockpitState.save_target",
            "ImportState.confirm_import", "AuthState.open_login_page", "CustomerFormState.setvar"} <= labels


# --- the database: planted sentinels, the ids of other people's records, fingerprints ----------------


@dataclass
class Planted:
    rep_id: int
    rep2_id: int
    rep2_token: str
    # Ids of records that are not rep1's: rep2's customers, deals, tasks, orders and feedback, and staff users.
    ids: list[int] = field(default_factory=list)
    customers: list[int] = field(default_factory=list)
    deals: list[int] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)
    orders: list[int] = field(default_factory=list)
    feedback: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    staff_emails: list[str] = field(default_factory=list)
    all_customer_emails: list[str] = field(default_factory=list)
    others_customer_emails: list[str] = field(default_factory=list)


def _first_ids(session: Session, column: Any, *where: Any, n: int = 3) -> list[int]:
    return list(session.exec(select(column).where(*where).order_by(column).limit(n)).all())


@pytest.fixture(scope="module")
def planted(app_url: str, e2e_database_url: str) -> Iterator[Planted]:
    engine = engine_for(e2e_database_url)
    with writing(engine) as session:
        users = {u.email: u for u in session.exec(select(User)).all()}
        rep, rep2 = users["rep1@example.com"], users["rep2@example.com"]
        customer = Customer(name=SENTINELS["customer"], company=SENTINELS["company"], email=SENTINELS["email"],
                            region="EMEA", segment="SMB", acquisition_channel="referral", owner_id=rep2.id)
        session.add(customer)
        session.flush()
        rows = [
            Deal(title=SENTINELS["deal"], customer_id=customer.id, owner_id=rep2.id, stage=DealStage.negotiation,
                 amount=4321.0, probability=0.6),
            Activity(kind=ActivityKind.call, subject=SENTINELS["task"], customer_id=customer.id, owner_id=rep2.id,
                     due_at=utcnow() + timedelta(days=2)),
            Order(customer_id=customer.id, status=OrderStatus.pending, channel=SalesChannel.phone,
                  ordered_at=utcnow() - timedelta(days=1), total_amount=0),
            Feedback(csat=2, nps=3, comment=SENTINELS["comment"], customer_id=customer.id,
                     respondent_email=SENTINELS["respondent"], respondent_name=SENTINELS["customer"]),
            LoggedActivity(kind="call", body=SENTINELS["logged"], customer_id=customer.id, author_id=rep2.id,
                           occurred_at=utcnow()),
        ]
        session.add_all(rows)
        session.flush()
        note = FeedbackNote(feedback_id=rows[3].id, author_id=rep2.id, body=SENTINELS["note"])
        session.add(note)
        session.commit()
        planted_rows = [(type(row), row.id) for row in (note, *reversed(rows), customer)]
        rep2_customers = select(Customer.id).where(Customer.owner_id == rep2.id)
        customers = [customer.id, *_first_ids(session, Customer.id, Customer.owner_id == rep2.id)]
        deals = [rows[0].id, *_first_ids(session, Deal.id, Deal.owner_id == rep2.id, n=5)]
        tasks = [rows[1].id, *_first_ids(session, Activity.id, Activity.owner_id == rep2.id)]
        logged_entry = rows[4].id
        orders = [rows[2].id, *_first_ids(session, Order.id, Order.customer_id.in_(rep2_customers))]
        feedback = [rows[3].id, *_first_ids(session, Feedback.id, Feedback.customer_id.in_(rep2_customers),
                                            sa.or_(Feedback.assignee_id.is_(None), Feedback.assignee_id != rep.id))]
        staff = [u.id for u in users.values() if u.id != rep.id]
        rep1_emails = set(session.exec(select(Customer.email).where(Customer.owner_id == rep.id)).all())
        emails = {email for email in session.exec(select(Customer.email)).all() if email}
        others = set(session.exec(select(Customer.email).where(sa.or_(Customer.owner_id != rep.id,
                                                                         Customer.owner_id.is_(None)))).all())
        hashes = [u.password_hash for u in users.values()]

    async def rep2_signs_in() -> str:
        async with ReflexClient(app_url) as client:
            await client.sign_in("rep2@example.com", PASSWORDS["rep2@example.com"])
            return client.session_cookie

    rep2_token = run(rep2_signs_in)
    with Session(engine) as session:
        token_hashes = list(session.exec(select(AuthSession.token_hash)).all())
    yield Planted(
        rep_id=rep.id, rep2_id=rep2.id, rep2_token=rep2_token,
        ids=[*customers, *deals, *tasks, *orders, *feedback, *staff, logged_entry],
        customers=customers, deals=deals, tasks=tasks, orders=orders, feedback=feedback, users=staff,
        secrets=[*hashes, *token_hashes, rep2_token],
        staff_emails=sorted(users), all_customer_emails=sorted(emails | {SENTINELS["email"]}),
        others_customer_emails=sorted((others - rep1_emails - {None}) | {SENTINELS["email"]}),
    )
    with writing(engine) as session:
        for model, row_id in planted_rows:
            session.delete(session.get(model, row_id))
            session.flush()
        session.commit()


def _rep_rows(table: sa.Table, rep_id: int) -> sa.ColumnElement[bool] | None:
    """The rows of `table` that are the rep's own to change (their customers, deals, tasks, orders, feedback)."""
    customers = sa.select(Customer.id).where(Customer.owner_id == rep_id)
    feedback = sa.select(Feedback.id).where(sa.or_(Feedback.customer_id.in_(customers), Feedback.assignee_id == rep_id))
    orders = sa.select(Order.id).where(Order.customer_id.in_(customers))
    c = table.c
    return {
        "customer": lambda: c.owner_id == rep_id,
        "deal": lambda: c.owner_id == rep_id,
        "activity": lambda: c.owner_id == rep_id,
        "sales_order": lambda: c.customer_id.in_(customers),
        "order_line": lambda: c.order_id.in_(orders),
        "feedback": lambda: c.id.in_(feedback),
        "feedback_note": lambda: c.feedback_id.in_(feedback),
        "feedback_invite": lambda: c.customer_id.in_(customers),
        "logged_activity": lambda: sa.and_(c.author_id == rep_id, c.customer_id.in_(customers)),
    }.get(table.name, lambda: None)()


def fingerprint(database_url: str, role: str, rep_id: int, upto: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Per table the role may not change: (rows, SHA-256 of its rows in primary-key order).

    A rep's own rows are left out (they may change them), and so are the saved views and API tokens of whoever
    is signed in; so are rows added during the test to the tables in `upto` (answers to the public survey, which
    anyone may send, counted apart in new_survey_answers; a marketer's campaign tasks).
    """
    prints = {}
    with engine_for(database_url).connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in UNWATCHED_TABLES:
                continue
            exempt = MAY_CHANGE.get(role, {}).get(table.name, ())
            if exempt is None:
                continue
            columns = [column for column in table.columns if column.name not in exempt]
            statement = sa.select(*columns).order_by(*table.primary_key.columns)
            # Anyone signed in keeps saved views and API tokens of their own (creates and revokes them).
            if table.name in OWN_ROWS and ROLES[role]:
                statement = statement.where(table.c[OWN_ROWS[table.name]] != sa.select(User.id).where(
                    User.email == ROLES[role]).scalar_subquery())
            if role == "sales_rep" and (own := _rep_rows(table, rep_id)) is not None:
                statement = statement.where(sa.not_(sa.func.coalesce(own, False)))
            if table.name in upto:  # rows added during the test are checked apart (survey answers) or allowed
                statement = statement.where(table.c.id <= upto[table.name])
            rows = connection.execute(statement).all()
            prints[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return prints


def _max_id(database_url: str, table: str) -> int:
    with engine_for(database_url).connect() as connection:
        return connection.execute(sa.select(sa.func.max(SQLModel.metadata.tables[table].c.id))).scalar() or 0


def _max_feedback_id(database_url: str) -> int:
    with Session(engine_for(database_url)) as session:
        return session.exec(select(sa.func.max(Feedback.id))).one() or 0


def new_survey_answers(database_url: str, after_id: int) -> list[tuple[int | None, str, int | None]]:
    """(customer, status, assignee) of the answers stored after `after_id`."""
    with Session(engine_for(database_url)) as session:
        return list(session.exec(select(Feedback.customer_id, Feedback.status, Feedback.assignee_id)
                                 .where(Feedback.id > after_id)).all())


# --- hostile arguments -------------------------------------------------------------------------------


def hostile_values(planted: Planted) -> st.SearchStrategy[Any]:
    ids = st.sampled_from(planted.ids)
    scalars = st.one_of(
        st.none(), st.booleans(),
        st.sampled_from([0, -1, 2**63 - 1, 2**63, -(2**63), 2**64, 10**30, -(10**30)]),
        st.integers(), st.floats(),  # floats include nan and ±inf
        st.text(max_size=30), st.sampled_from(WORDS), st.sampled_from(INJECTIONS),
        ids, ids.map(str),
    )
    nested = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FORM_KEYS) | st.text(max_size=8),
                                                                   inner, max_size=4),
        max_leaves=6,
    )
    return st.one_of(nested, st.just(HUGE), ids.map(lambda i: {"id": i}), ids.map(lambda i: [i]),
                     st.dictionaries(st.sampled_from(FORM_KEYS), scalars | st.just(HUGE), max_size=8))


def plausible_values(name: str, planted: Planted) -> list[Any]:
    """Values of the kind the parameter expects, aimed at someone else's records, the likeliest attack first."""
    kind = {"deal_id": planted.deals, "task_id": planted.tasks, "order_id": planted.orders,
            "feedback_id": planted.feedback, "user_id": planted.users, "owner_id": [planted.rep_id, *planted.users]}
    if name.endswith("_id") or name == "value":
        ids = kind.get(name, planted.customers if name.endswith("_id") else planted.ids)
        return [*ids, *map(str, ids)]
    if name in ("active", "done", "ticked", "is_open", "_open"):
        return [True, False]
    if name in ("page", "step", "index"):
        return [1, 0, -1, 2, 4]
    if name == "points":
        return [[{"x": word}] for word in ("EMEA", "2026-01", "Won", "")]
    if name == "form_data":  # a form filled in with someone else's ids, and myself as the new owner
        form = {key: str(planted.customers[0]) for key in FORM_KEYS}
        return [form | {"owner_id": str(planted.rep_id), "role": "admin", "title": "Hijacked", "amount": "1",
                        "expected_close_date": "2030-01", "lost_reason": "hostile", "body": "hostile",
                        "kpi": next(iter(KPI_BY_KEY)), "target": "1"}]
    return PARAM_WORDS.get(name, WORDS)


def plausible_value(name: str, planted: Planted) -> st.SearchStrategy[Any]:
    if name == "form_data":
        ids = st.sampled_from(planted.ids)
        return st.dictionaries(st.sampled_from(FORM_KEYS), ids | ids.map(str) | st.sampled_from(WORDS)
                               | st.text(max_size=12), max_size=10)
    return st.sampled_from(plausible_values(name, planted))


def aimed_round(planted: Planted) -> list[Call]:
    """Every handler called once with the likeliest attack of each parameter, from another rep's customer page:
    the example every run tries first, whatever Hypothesis draws next."""
    return [Call(handler, routes.customer_page(planted.customers[0]),
                 {name: plausible_values(name, planted)[0] for name in handler.params}
                 if handler.name != "setvar" and handler is not COOKIE_SYNC else
                 {"vars": {f"{AuthState.get_full_name()}.session_token": {"token": planted.customers[0]}}}
                 if handler is COOKIE_SYNC else {"var_name": "customer_id", "value": planted.customers[0]},
                 well_formed=True)
            for handler in ROUND]


def hostile_paths(planted: Planted) -> st.SearchStrategy[str]:
    customer, deal, user = (st.sampled_from(ids) for ids in (planted.customers, planted.deals, planted.users))
    return st.one_of(
        customer.map(routes.customer_page), customer.map(routes.customer_page),  # twice: the pages keyed by path
        deal.map(routes.deal_page), deal.map(routes.deal_page),
        st.integers(min_value=1, max_value=3000).map(routes.order_page),
        st.builds("/orders/new?customer={}&deal={}".format, customer, deal),
        st.builds("/tasks?customer={}&owner={}".format, customer, user),
        deal.map("/tasks?deal={}".format),
        customer.map("/orders?customer={}".format),
        user.map("/pipeline?owner={}".format),
        user.map("/customers?owner={}&page=99999999999999999999".format),
        user.map("/cockpit?rep={}&period=custom&from=0001-01-01&to=9999-12-31".format),
        st.sampled_from([routes.HOME, routes.INBOX, routes.INSIGHTS, routes.IMPORT, routes.ADMIN_USERS,
                         routes.ORDERS, "/feedback?t=forged.token", "/login?next=//evil.example", "/customers/-1",
                         "/customers/99999999999999999999", "/customers/{}",
                         "/deals/-1", "/deals/99999999999999999999", "/orders/0", "/orders/new?deal=-1"]),
        st.text(max_size=20).map("/{}".format),
    )


@dataclass(frozen=True)
class Call:
    handler: Handler
    path: str
    payload: dict[str, Any]
    # True when the payload names exactly the handler's parameters (a wrong set is refused by Python itself).
    well_formed: bool

    @property
    def ours(self) -> bool:
        """A well-formed call of a handler the app defines (Reflex's setvar refuses unknown names by raising)."""
        return self.well_formed and self.handler.name != "setvar" and self.handler is not COOKIE_SYNC

    def __repr__(self) -> str:
        shown = {k: v if len(repr(v)) < 80 else f"{repr(v)[:77]}..." for k, v in self.payload.items()}
        return f"{self.handler.label}({shown}) from {self.path!r}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how Hypothesis prints a failing example
        printer.text(repr(self))


@st.composite
def hostile_call(draw: st.DrawFn, handler: Handler, planted: Planted) -> Call:
    values = hostile_values(planted)
    if handler.name == "setvar":
        names = [*handler.state.__fields__, *handler.state.computed_vars, "router", "parent_state"]
        payload = {"var_name": draw(st.sampled_from(names) | st.text(max_size=20)), "value": draw(values)}
    elif handler is COOKIE_SYNC:
        payload = {"vars": {f"{AuthState.get_full_name()}.session_token": draw(values)}}
    else:
        # Three in four values are aimed (mark_done(<rep2's task>, True)), so such calls come up in every run.
        payload = {name: draw(plausible_value(name, planted) if draw(st.sampled_from([1, 1, 1, 0])) else values)
                   for name in handler.params}
    shape = draw(st.sampled_from(["exact"] * 8 + ["extra", "missing"]))
    if shape == "extra":
        payload["unexpected"] = draw(values)
    elif shape == "missing" and payload:
        payload.pop(draw(st.sampled_from(sorted(payload))))
    return Call(handler, draw(hostile_paths(planted)), payload, well_formed=shape == "exact" or shape == "missing"
                and not handler.params)


# --- one client calling everything ---------------------------------------------------------------------


@dataclass
class Answer:
    call: Call
    messages: list[dict[str, Any]]

    @functools.cached_property
    def wire(self) -> str:
        return json.dumps(self.messages, ensure_ascii=False, default=str)

    def crashed(self) -> bool:
        """Reflex's answer to an exception escaping a handler ("An error occurred. Contact the administrator.")."""
        return "An error occurred." in self.wire


async def barrier(client: ReflexClient, turn: int) -> None:
    """Wait until every event sent so far is handled: the server handles one client's events in order, so the
    answer to this count_comment comes after theirs. Its length alternates, so each one changes the var."""
    text = BARRIER[turn % 2]
    start = len(client.messages)
    await client.emit(FeedbackFormState, "count_comment", routes.FEEDBACK, text=text)
    await client.wait_for(lambda: len(text) in client.values(FeedbackFormState, "comment_length", since=start), 60)


async def call_everything(app_url: str, email: str | None, calls: list[Call]) -> tuple[list[Answer], list[str]]:
    """Sign in (unless anonymous), send every call and collect what came back for each; and the home page's
    scope just before the sign-in handlers, which shows whether the client was still who it signed in as."""
    async with ReflexClient(app_url) as client:
        if email is not None:
            await client.sign_in(email, PASSWORDS[email])
        answers, scope = [], None
        for turn, call in enumerate(calls):
            if call.handler is COOKIE_SYNC:
                start = len(client.messages)
                await client.emit(HomeState, "load", routes.HOME)
                await barrier(client, turn)
                scope = client.values(HomeState, "scope", since=start)
            start = len(client.messages)
            await client.emit_event(call.handler.event, call.path, call.payload)
            await barrier(client, turn + 1)
            if call.handler.background and not call.well_formed:
                # Python refuses the wrong arguments when the background task starts, which can be after the
                # barrier: wait for that refusal here, or it would be read as the next handler's crash.
                await client.wait_for(lambda: Answer(call, client.messages[start:]).crashed(), 60)
            answers.append(Answer(call, client.messages[start:]))
        for turn in range(3):  # events the last handlers returned are queued behind the first barrier
            start = len(client.messages)
            await barrier(client, turn)
            answers[-1].messages.extend(client.messages[start:])
        return answers, scope


# --- the tests ---------------------------------------------------------------------------------------


def private_strings(role: str, planted: Planted) -> list[str]:
    """What the role must never receive."""
    always = [*planted.secrets, *planted.staff_emails]
    if role == "anonymous":
        return [*always, *SENTINELS.values(), *planted.all_customer_emails]
    if role == "sales_rep":
        return [*always, *SENTINELS.values(), *planted.others_customer_emails]
    return always  # an executive reads every customer, deal, task and answer


def _staff_directory_entry(call: Call, secret: str, planted: Planted) -> bool:
    """The header's search lists active colleagues with their email to every signed-in user (README, Security:
    "plus the active staff directory"); staff emails stay private everywhere else."""
    return call.handler.label == "GlobalSearchState.search" and secret in planted.staff_emails


@pytest.mark.parametrize("role", list(ROLES))
def test_hostile_calls_change_and_reveal_nothing_the_role_may_not(role, app_url, e2e_database_url, planted):
    email = ROLES[role]
    servers = listening_pids(APP_PORT)
    survey_baseline = _max_feedback_id(e2e_database_url)
    upto = {"feedback": survey_baseline} | ({table: _max_id(e2e_database_url, table) for table in MARKETER_MAY_ADD}
                                           if role == "marketer" else {})
    before = fingerprint(e2e_database_url, role, planted.rep_id, upto)
    secrets = private_strings(role, planted)
    crashes: list[Call] = []

    @settings(max_examples=EXAMPLES_PER_ROLE, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(calls=st.tuples(*(hostile_call(handler, planted) for handler in ROUND)).map(list))
    @example(calls=aimed_round(planted))
    def every_handler(calls: list[Call]) -> None:
        answers, scope = run(lambda: call_everything(app_url, email, calls))

        shown = scope[-1:] if email else [s for s in scope if s]
        assert shown == ([HOME_SCOPE[role]] if email else []), f"the client was not {role} by the end: {scope}"
        leaks = [(answer.call, secret) for answer in answers for secret in secrets
                 if secret in answer.wire and not (email and _staff_directory_entry(answer.call, secret, planted))]
        assert leaks == [], f"{role} received what it may not read: {leaks[:5]}"
        after = fingerprint(e2e_database_url, role, planted.rep_id, upto)
        changed = sorted(name for name in before if after[name] != before[name])
        assert changed == [], f"{role} changed {changed} calling: {calls}"
        # Anyone may answer the public survey; without a personal link the answer belongs to no customer.
        assert all(answer == (None, "new", None) for answer in new_survey_answers(e2e_database_url, survey_baseline))
        crashes.extend(answer.call for answer in answers if answer.crashed() and answer.call.ours)

    every_handler()

    assert crashes == [], f"handlers failed on hostile arguments instead of refusing them: {crashes}"
    assert listening_pids(APP_PORT) == servers, "a server process died (or was restarted) during the calls"

    async def fresh_client_signs_in() -> ReflexClient:
        async with ReflexClient(app_url) as client:
            await client.sign_in("rep2@example.com", PASSWORDS["rep2@example.com"])
            await client.emit(HomeState, "load", routes.HOME)
            await client.wait_for(lambda: any(client.values(HomeState, "scope")))
            return client

    client = run(fresh_client_signs_in)
    assert client.values(AuthState, "user_name")[-1] == "Sam Seller"
    assert [scope for scope in client.values(HomeState, "scope") if scope] == ["Your book of business"]


def test_a_browser_signs_in_after_the_barrage(page: Page, app_url: str):
    sign_in(page, app_url, "rep1@example.com", PASSWORDS["rep1@example.com"])
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Riley Rep")
