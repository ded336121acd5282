"""Keep what visitors type out of the server log.

Reflex logs a failed event as `Event(name=..., router_data=..., payload=...)`: the payload is whatever the client
sent (a password on the login form, a customer's email in a survey answer), so a mistyped or hostile event would
copy it into the log. A filter on the loggers that print events keeps the event's name and drops the rest.
"""

from __future__ import annotations

import logging
import re

# Reflex's loggers that print whole events when handling one fails.
EVENT_LOGGERS = (
    "reflex_base.event.processor.event_processor",
    "reflex_base.event.processor.base_state_processor",
    "reflex.app",
    "reflex.state",
)
# From the event's router data to its closing parenthesis (the payload can hold anything, brackets included).
_EVENT_DETAILS = re.compile(r"(Event\(name=(?:'[^']*'|\"[^\"]*\")), router_data=.*\)", re.DOTALL)


class EventPayloadRedaction(logging.Filter):
    """Rewrites a record that prints an Event so that only the event's name remains."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _EVENT_DETAILS.sub(r"\1, payload=<redacted>)", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def redact_logged_events() -> None:
    """Install the filter on Reflex's event loggers (once), in this process and the workers it forks."""
    for name in EVENT_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, EventPayloadRedaction) for existing in logger.filters):
            logger.addFilter(EventPayloadRedaction())
