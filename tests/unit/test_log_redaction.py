"""A failed event is logged by its name, never with the values a visitor typed."""

from __future__ import annotations

import logging

from reflex_base.event import Event

from crm_app.log_redaction import EVENT_LOGGERS, redact_logged_events


def test_a_logged_event_keeps_its_name_but_not_what_was_typed(caplog):
    redact_logged_events()
    event = Event(name="auth_state.login", router_data={"pathname": "/login"},
                  payload={"form_data": {"email": "someone@example.net", "password": "Typed-Secret-42) [txid="}})

    with caplog.at_level(logging.ERROR):
        logging.getLogger(EVENT_LOGGERS[0]).error("Error processing event queue entry for %s [txid=%s]:", event, "t1")

    assert caplog.messages == [
        "Error processing event queue entry for Event(name='auth_state.login', payload=<redacted>) [txid=t1]:"]
