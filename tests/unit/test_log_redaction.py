"""A failed event is logged by its name and payload keys, never with the values a visitor typed."""

from __future__ import annotations

import logging

from reflex_base.event import Event

from crm_app.log_redaction import redact_logged_events


def test_a_logged_event_shows_its_name_and_keys_but_no_values(caplog):
    redact_logged_events()
    event = Event(name="auth_state.login", router_data={"pathname": "/login"},
                  payload={"form_data": {"email": "someone@example.net", "password": "Typed-Secret-42"}})

    with caplog.at_level(logging.ERROR):
        logging.getLogger("reflex").error(f"Error processing event queue entry for {event}")

    assert caplog.messages == ["Error processing event queue entry for "
                               "Event(name='auth_state.login', payload_keys=['form_data'])"]
