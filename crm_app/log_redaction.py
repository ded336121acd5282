"""Keep what visitors type out of the server log.

Reflex logs a failed event as `Event(name=..., router_data=..., payload=...)`: the payload is whatever the client
sent (a password on the login form, a customer's email in a survey answer), so a mistyped or hostile event would
copy it into the log. Events are logged by name and payload keys only.
"""

from __future__ import annotations

from reflex_base.event import Event


def _event_without_values(event: Event) -> str:
    keys = sorted(event.payload) if isinstance(event.payload, dict) else []
    return f"Event(name={event.name!r}, payload_keys={keys!r})"


def redact_logged_events() -> None:
    """Make every Event print as its name and payload keys, in this process and the workers it forks."""
    Event.__repr__ = _event_without_values  # type: ignore[method-assign]
