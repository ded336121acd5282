"""A per-process snapshot of the fact tables prepared for the cockpit, kept fresh without making anyone wait.

Database triggers count writes in `data_version` in the same transaction as the write, whichever process
writes (migrations 0003 and 0004): `version` moves with any fact table, `order_writes` with sales_order and
order_line, `order_rewrites` only with their updates and deletes. Each cockpit event reads the three
counters (one SELECT) and then:

- nothing moved: the snapshot is current;
- only orders were added (`order_rewrites` still, `version` moved exactly as much as `order_writes`): the
  new orders and lines are read by id (ids only grow) and merged in at once. On PostgreSQL two counts
  guard it: when the snapshot's orders plus the new ones do not add up to count(*) (a transaction that
  committed an older id late), it falls back to a full reload; SQLite commits ids in order (one writer);
- anything else moved (an order updated or deleted, a customer, a deal, feedback...): a full reload starts
  in a background thread (one at a time per process) and events keep answering from the previous snapshot,
  marked "refreshing", until it is in. Before the first snapshot, events answer "loading" instead of
  blocking the websocket's event loop. A reload starts no sooner than `RELOAD_SPACING` times the last one's
  duration after it ended (at most a minute): under writes that never stop (survey answers, tasks, deal
  moves all day) each worker would otherwise reload back to back, taking a core from the users' events.

The company-wide snapshot (executives, admins, marketers) is shared by the workers of a machine through
memory-mapped column files (shared_columns): a full load first opens the newest file and brings it current as
above (new orders merged; anything else: not usable), and only when that fails reads the database, one process
at a time (the others wait on the folder's lock, then open what it wrote), and writes the file for the others.
A worker that starts thus answers in the time it takes to map the file, and the columns are in memory once
per machine. A rep's snapshot (their own book) is read from the database and kept in the worker's memory.

`current_facts` is what the page uses (never waits on a full reload); `cockpit_facts` waits until the
snapshot is current (tests, benchmarks, scripts). Snapshots live in module memory, never in session state.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import astuple, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, text
from sqlmodel import Session

from crm_app.analytics.words import Words
from crm_app.analytics.cockpit import CockpitFacts, append_orders, carry_cube, order_cube, prepare_cockpit
from crm_app.data import shared_columns
from crm_app.data.facts import LINES_SQL, ORDERS_SQL, load_facts, read_frame
from crm_app.data.permissions import Actor

logger = logging.getLogger(__name__)

# Above this many new orders a full reload (in the background) is cheaper than merging them one customer
# at a time.
MAX_APPENDED_ORDERS = 500
# A full reload waits until this many times its predecessor's duration has passed since that one ended, so
# reloads take at most a tenth of one core (a second's reload: at most one every ten seconds), and never
# more than MAX_RELOAD_WAIT seconds.
RELOAD_SPACING = 9
MAX_RELOAD_WAIT = 60.0
# Orders merged into the company's snapshot make the order columns this worker's own copy again; this many
# seconds after a merge the worker maps them from a file again (written by whichever worker gets there first),
# so a steady trickle of orders costs the machine one file write per SHARE_DELAY, not a copy per worker.
SHARE_DELAY = 30.0


@dataclass(frozen=True)
class Counters:
    """data_version's three counters (see the module docstring)."""

    version: int
    order_writes: int
    order_rewrites: int


@dataclass(frozen=True)
class Snapshot:
    counters: Counters  # the writes this snapshot accounts for
    cockpit: CockpitFacts
    loaded_at: datetime
    orders: int  # every row of sales_order and order_line it has read (all statuses, all owners)
    lines: int
    max_order_id: int
    # The order with the highest id as read (id, customer id, ordered_at, amount): a column file whose last
    # order the database does not have was made from another database at the same place (deleted, reseeded).
    last_order: list | None = None
    shared: bool = False  # its columns are views of the machine's column files, not this worker's own


@dataclass(frozen=True)
class Freshness:
    """What the page says about the data it shows."""

    loaded_at: datetime | None  # None: no snapshot yet
    refreshing: bool

    @property
    def described(self) -> Words:
        """What the page says (Words: said in the reader's language with i18n.say)."""
        if self.loaded_at is None:
            return Words("Loading the data…")
        stamp = self.loaded_at.strftime("%H:%M:%S UTC")
        return Words("Data as of {time}, refreshing…" if self.refreshing else "Data as of {time}", time=stamp)


_lock = threading.Lock()
_snapshots: dict[tuple[str, int | None], Snapshot] = {}
_reloads: dict[tuple[str, int | None], Future] = {}
_reloader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cockpit-reload")  # one full reload at a time
_last_reloads: dict[tuple[str, int | None], tuple[float, float]] = {}  # key -> (ended, seconds taken)
_shares: dict[tuple[str, int | None], threading.Timer] = {}


def counters(session: Session) -> Counters:
    """The fact tables' change counters, bumped by triggers on every insert, update and delete."""
    row = session.execute(text("SELECT version, order_writes, order_rewrites FROM data_version WHERE id = 1")).one()
    return Counters(*map(int, row))


def data_version(session: Session) -> int:
    """The fact tables' change counter (bumped by triggers on every insert, update and delete)."""
    return counters(session).version


def _key(session: Session, actor: Actor) -> tuple[str, int | None]:
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    return url, None if actor.reads_everything else actor.id


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _last_order(orders: pd.DataFrame) -> list | None:
    if orders.empty:
        return None
    row = orders.loc[orders["id"].idxmax()]
    return [int(row["id"]), int(row["customer_id"]), str(row["ordered_at"]), float(row["total_amount"])]


def _read_database(engine: Engine, actor: Actor) -> Snapshot:
    """Read every fact table and prepare them (the slow path: about 15 s at a million orders)."""
    with Session(engine) as session:
        seen = counters(session)  # read first: a write during the load moves them again, so nothing is missed
        facts = load_facts(session)
    orders, lines = len(facts.orders), len(facts.lines)
    max_order_id = int(facts.orders["id"].max()) if orders else 0
    last_order = _last_order(facts.orders)
    if not actor.reads_everything:
        facts = facts.visible_to(actor)
    as_of = facts.orders["ordered_at"].max() if len(facts.orders) else pd.Timestamp.now(tz="UTC")
    return Snapshot(seen, prepare_cockpit(facts, as_of), datetime.now(UTC), orders, lines, max_order_id,
                    last_order)


def _load(engine: Engine, actor: Actor) -> Snapshot:
    """The snapshot `actor` sees (see the module docstring): the company's from the machine's column files when
    they can be brought current, else from the database, then written there for the other workers."""
    folder = shared_columns.folder_for(engine.url) if actor.reads_everything else None
    if folder is None:
        return _read_database(engine, actor)
    opened = _open_shared(engine, folder, actor)
    if opened is not None:
        return opened
    with shared_columns.exclusive(folder):
        opened = _open_shared(engine, folder, actor)  # another worker may have written it while this one waited
        if opened is not None:
            return opened
        return _share(folder, _read_database(engine, actor))


def _open_shared(engine: Engine, folder: Path, actor: Actor, *, merge: bool = True) -> Snapshot | None:
    """The newest column file of `folder` brought current (new orders merged in, unless not `merge`), or None
    when it cannot be: none there, unreadable (then deleted), of another database, or behind by more than new
    orders."""
    path = shared_columns.newest(folder)
    if path is None:
        return None
    try:
        cockpit, fields = shared_columns.read(path)
        stored = Snapshot(Counters(*fields["counters"]), cockpit, datetime.fromisoformat(fields["loaded_at"]),
                          int(fields["orders"]), int(fields["lines"]), int(fields["max_order_id"]),
                          fields["last_order"], shared=True)
    except (shared_columns.UnreadableColumns, KeyError, TypeError, ValueError) as error:
        logger.warning("The cockpit's column file %s is not usable and is rebuilt: %s", path, error)
        shared_columns.discard(path)
        return None
    with Session(engine) as session:
        now = counters(session)
        if stored.last_order is not None:
            in_database = read_frame(session.connection(),
                                     f"SELECT id, customer_id, ordered_at, total_amount FROM sales_order "
                                     f"WHERE id = {int(stored.last_order[0])}")
            if _last_order(in_database) != stored.last_order:  # of another database, or its last order rewritten
                shared_columns.discard(path)  # else a rebuild with the same counters would keep this one
                return None
        if stored.counters == now:
            return stored
        if not merge or stored.counters.version > now.version or stored.counters.order_writes == now.order_writes:
            return None
        appended = _appended(session, stored, now, actor)
    return appended if appended is not None and appended.counters == now else None


def _share(folder: Path, snapshot: Snapshot) -> Snapshot:
    """Write `snapshot` to `folder` for the other workers (hold its lock) and answer from the written file, so
    this worker's own copy of the columns is freed; the snapshot as it is when the file cannot be written."""
    fields = {"counters": list(astuple(snapshot.counters)), "loaded_at": snapshot.loaded_at.isoformat(),
              "orders": snapshot.orders, "lines": snapshot.lines, "max_order_id": snapshot.max_order_id,
              "last_order": snapshot.last_order}
    try:
        path = shared_columns.write(folder, shared_columns.snapshot_name(*astuple(snapshot.counters)),
                                    snapshot.cockpit, fields)
        cockpit, _ = shared_columns.read(path)
    except (OSError, shared_columns.UnwritableColumns, shared_columns.UnreadableColumns) as error:
        logger.warning("The cockpit's columns are not shared (each worker reads the database): %s", error)
        return snapshot
    shared_columns.prune(folder, keep=path)
    return replace(snapshot, cockpit=cockpit, shared=True)


def reload_delay(key: tuple[str, int | None], now: float) -> float:
    """Seconds a full reload of `key` starting at `now` (monotonic) waits: until RELOAD_SPACING times the last
    reload's duration has passed since it ended, at most MAX_RELOAD_WAIT."""
    ended, took = _last_reloads.get(key, (0.0, 0.0))
    return max(0.0, min(ended + RELOAD_SPACING * took - now, MAX_RELOAD_WAIT))


def _reload_in_background(key: tuple[str, int | None], engine: Engine, actor: Actor) -> Future:
    """Start a full reload of `key` unless one runs; the finished snapshot replaces the previous one."""
    running = _reloads.get(key)
    if running is not None and not running.done():
        return running

    def reload() -> Snapshot:
        time.sleep(reload_delay(key, time.monotonic()))
        started = time.monotonic()
        try:
            snapshot = _load(engine, actor)
            order_cube(snapshot.cockpit)  # summed here, off the events' path
            with _lock:  # orders merged meanwhile are merged again by the next event (ids above max_order_id)
                _snapshots[key] = snapshot
            return snapshot
        except Exception:
            logger.exception("The cockpit snapshot could not be reloaded")
            raise
        finally:
            _last_reloads[key] = (time.monotonic(), time.monotonic() - started)

    future = _reloader.submit(reload)
    _reloads[key] = future
    return future


def _share_in_background(key: tuple[str, int | None], engine: Engine) -> None:
    """In SHARE_DELAY seconds, replace `key`'s snapshot by the same columns mapped from a file (see SHARE_DELAY)."""
    running = _shares.get(key)
    if running is not None and running.is_alive():
        return

    def share() -> None:
        snapshot, folder = _snapshots.get(key), shared_columns.folder_for(engine.url)
        if snapshot is None or snapshot.shared or folder is None:
            return
        with shared_columns.exclusive(folder):
            shared = _share(folder, snapshot)
        carry_cube(snapshot.cockpit, shared.cockpit)  # the same columns, mapped
        order_cube(shared.cockpit)
        with _lock:
            if _snapshots.get(key) is snapshot:  # not merged or reloaded meanwhile
                _snapshots[key] = shared

    # A daemon: a process that exits does not wait for it (a write cut short leaves a staging directory that the
    # next writer deletes).
    _shares[key] = timer = threading.Timer(SHARE_DELAY, share)
    timer.daemon = True
    timer.start()


def _appended(session: Session, snapshot: Snapshot, now: Counters, actor: Actor) -> Snapshot | None:
    """`snapshot` with the orders added since it was read, or None when only a full reload is right."""
    if now.order_rewrites != snapshot.counters.order_rewrites:
        return None
    connection = session.connection()
    last = int(snapshot.max_order_id)
    orders = read_frame(connection, f"{ORDERS_SQL} WHERE o.id > {last}")
    lines = read_frame(connection, f"{LINES_SQL} WHERE l.order_id > {last}")
    if len(orders) > MAX_APPENDED_ORDERS:
        return None
    # PostgreSQL may commit a lower id after a higher one has been read; counted after reading, the sums
    # then differ and the full reload catches it. SQLite has one writer at a time, so ids commit in order.
    if session.get_bind().dialect.name != "sqlite" and (
            _count(session, "sales_order") != snapshot.orders + len(orders)
            or _count(session, "order_line") != snapshot.lines + len(lines)):
        return None
    visible = orders if actor.reads_everything else orders.loc[orders["owner_id"] == actor.id]
    cockpit = append_orders(snapshot.cockpit, visible, lines)
    if cockpit is None:
        return None
    carry_cube(snapshot.cockpit, cockpit)  # the first change after a write would otherwise sum it again
    accounted = Counters(snapshot.counters.version + now.order_writes - snapshot.counters.order_writes,
                         now.order_writes, now.order_rewrites)
    return replace(snapshot, counters=accounted, cockpit=cockpit, loaded_at=datetime.now(UTC),
                   orders=snapshot.orders + len(orders), lines=snapshot.lines + len(lines),
                   max_order_id=max(last, int(orders["id"].max()) if len(orders) else last),
                   last_order=_last_order(orders) if len(orders) else snapshot.last_order,
                   shared=snapshot.shared and cockpit is snapshot.cockpit)


def current_facts(*, session: Session, actor: Actor) -> tuple[CockpitFacts | None, Freshness]:
    """The freshest cockpit facts `actor` may see (a rep: their own book) without waiting on a full reload:
    None before the first snapshot is in. New orders are merged at once; other changes reload in the
    background while the previous snapshot answers."""
    key, now = _key(session, actor), counters(session)
    snapshot = _snapshots.get(key)
    if snapshot is not None and snapshot.counters == now:
        return snapshot.cockpit, Freshness(snapshot.loaded_at, refreshing=False)
    with _lock:
        snapshot = _snapshots.get(key)
        if snapshot is None and key[1] is None and _reloads.get(key) is None:
            # A worker that has just started maps a current column file at once (milliseconds) instead of
            # answering "loading"; anything more (merging, reading the database) is left to the background.
            folder = shared_columns.folder_for(session.get_bind().engine.url)
            if folder is not None:
                opened = _open_shared(session.get_bind().engine, folder, actor, merge=False)
                if opened is not None:
                    _snapshots[key] = snapshot = opened
        if snapshot is not None and snapshot.counters.order_writes != now.order_writes:
            appended = _appended(session, snapshot, now, actor)
            if appended is not None:
                _snapshots[key] = snapshot = appended
                if key[1] is None and not appended.shared:
                    _share_in_background(key, session.get_bind().engine)
        if snapshot is None or snapshot.counters != now:
            _reload_in_background(key, session.get_bind().engine, actor)
        refreshing = snapshot is None or snapshot.counters != now
    if snapshot is None:
        return None, Freshness(None, refreshing=True)
    return snapshot.cockpit, Freshness(snapshot.loaded_at, refreshing=refreshing)


_forecasts: dict[tuple, object] = {}  # snapshot → RevenueForecast, or None (fitting, or too little history)
_forecaster = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cockpit-forecast")


def revenue_forecast(cockpit: CockpitFacts) -> object | None:
    """The revenue forecast of this snapshot's whole monthly series, if it is fitted; else the fit starts
    in a background thread (a filter change never waits on a model fit) and a later event shows it."""
    key = (id(cockpit), cockpit.as_of, cockpit.orders["ns"].size)
    if key in _forecasts:
        return _forecasts[key]
    with _lock:
        if key not in _forecasts:
            _forecasts.clear()  # one snapshot's forecast at a time; the previous snapshot's is obsolete
            _forecasts[key] = None
            _forecaster.submit(_fit, key, cockpit)
    return None


def _fit(key: tuple, cockpit: CockpitFacts) -> None:
    from crm_app.analytics.cockpit import monthly_revenue
    from crm_app.analytics.errors import TooLittleData
    from crm_app.analytics.forecast import forecast_revenue

    try:
        fitted = forecast_revenue(monthly_revenue(cockpit))
    except TooLittleData as too_little:  # not enough months of history for a backtest
        logger.info("The cockpit's revenue forecast is not fitted: %s", too_little)
        return
    except Exception:
        logger.exception("The cockpit's revenue forecast could not be fitted")
        return
    with _lock:
        if key in _forecasts:
            _forecasts[key] = fitted


def reloading() -> bool:
    """Whether a full reload is running in this process."""
    return any(not future.done() for future in list(_reloads.values()))


def cockpit_facts(*, session: Session, actor: Actor) -> CockpitFacts:
    """The cockpit's facts as `actor` may see them, as of the last committed write (waits for a reload)."""
    while True:
        facts, freshness = current_facts(session=session, actor=actor)
        if facts is not None and not freshness.refreshing:
            return facts
        running = _reloads.get(_key(session, actor))
        if running is not None:
            running.result()  # raises what the reload raised
