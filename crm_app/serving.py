"""How the served app copes with faults: a backend worker that dies, and a session store that is away.

Reflex 0.10 builds Granian's server itself and passes no respawn option, and Granian's default is to stop the
whole server when any worker exits unexpectedly: one worker killed (out of memory, a crash, `kill -9`) would
take every user's session down with it. With respawn on, Granian forks a fresh worker in its place, and the
browser tabs that were connected to the dead one reconnect and rehydrate from the shared state.

When Redis (the session store of the scale-out configuration) cannot be reached, every event fails before its
handler runs; Reflex's own message for that is "An error occurred. Contact the website administrator.", which
tells the user neither what is wrong nor that waiting helps. `report_backend_error` says so plainly, and the
same for the database: a write that fails because the database cannot be reached, or takes no changes for the
moment, leaves nothing behind (`write_session` rolls the whole transaction back), and the user is told to try
again. Any other database error (a query or its data was wrong) is a bug, never reported as an outage.
"""

import functools
import logging

import redis.exceptions
import reflex as rx
from reflex.app import default_backend_exception_handler
from reflex.event import EventSpec

from crm_app.data.db import DatabaseFault, database_fault

logger = logging.getLogger(__name__)

SESSION_STORE_AWAY = (
    "The server has lost contact with its session store for the moment, so nothing can be loaded or saved. "
    "Try again in a minute; if this goes on, tell your administrator."
)
DATABASE_AWAY = (
    "The database cannot be reached for the moment, so nothing was saved. "
    "Try again in a minute; if this goes on, tell your administrator."
)
DATABASE_READ_ONLY = (
    "The database is taking no changes for the moment, so nothing was saved. "
    "Try again in a minute; if this goes on, tell your administrator."
)


def respawn_failed_workers() -> None:
    """Make Granian restart a backend worker that exits unexpectedly (idempotent; called from rxconfig.py)."""
    from granian.server.common import AbstractServer

    original = AbstractServer.__init__
    if getattr(original, "respawns_failed_workers", False):
        return

    @functools.wraps(original)
    def init(self, *args, **kwargs) -> None:
        kwargs.setdefault("respawn_failed_workers", True)
        original(self, *args, **kwargs)

    init.respawns_failed_workers = True
    AbstractServer.__init__ = init


def _caused_by(exception: BaseException | None, kinds: tuple[type[BaseException], ...]) -> bool:
    """Whether `exception`, or one it was raised from, is one of `kinds`."""
    seen = 0
    while exception is not None and seen < 10:
        if isinstance(exception, kinds):
            return True
        exception, seen = exception.__cause__ or exception.__context__, seen + 1
    return False


def report_backend_error(exception: Exception) -> EventSpec:
    """The toast a user sees when an event fails: a plain message while Redis or the database is away or the
    database takes no writes (db.database_fault), Reflex's own otherwise."""
    fault = database_fault(exception)
    if _caused_by(exception, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        message, what = SESSION_STORE_AWAY, "Redis cannot be reached"
    elif fault == DatabaseFault.unreachable:
        message, what = DATABASE_AWAY, "the database cannot be reached"
    elif fault == DatabaseFault.read_only:
        message, what = DATABASE_READ_ONLY, "the database takes no writes"
    else:
        return default_backend_exception_handler(exception)
    logger.error("An event failed because %s: %s", what, type(exception).__name__)
    return rx.toast.error(message, id="backend_error", position="top-center", duration=15_000)
