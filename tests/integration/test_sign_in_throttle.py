"""The sign-in throttle, the password check off the event loop and the audit of sign-ins, against a real database."""

from __future__ import annotations

import asyncio
import math
import threading
import time
import uuid

import pytest
from sqlmodel import Session, select

from crm_app import rate_limit, sign_in
from crm_app.data import security
from crm_app.data.models import AuthSession, Role, SignInAttempt, UserCreate
from crm_app.data.repositories import users
from crm_app.settings import get_settings
from tests.conftest import run_async

PASSWORD = "correct-horse-1"
RIGHT = {"email": "rep@example.com", "password": PASSWORD}
WRONG = {"email": "rep@example.com", "password": "wrong-horse-1"}


@pytest.fixture
def settings(engine, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(settings, "redis_url", None)
    monkeypatch.setattr(settings, "sign_in_account_limits", "5/15 minutes;10/hour;20/day")
    monkeypatch.setattr(settings, "sign_in_client_limits", "30/15 minutes")
    monkeypatch.setattr(sign_in, "throttled_attempts", sign_in.ThrottledTally())  # none left from another test
    rate_limit._limiter.cache_clear()
    sign_in._password_checkers.cache_clear()
    with Session(engine) as session:
        users.create_user(session=session, actor=None, user_create=UserCreate(
            email="rep@example.com", full_name="Riley Rep", role=Role.sales_rep, password=PASSWORD))
        session.commit()
    yield settings
    rate_limit._limiter.cache_clear()
    sign_in._password_checkers.cache_clear()


def attempts(tries: list[dict], client: str = "203.0.113.7") -> list[sign_in.SignInResult]:
    """Each attempt in turn from one client, then the throttled ones' audit rows written."""
    async def scenario() -> list[sign_in.SignInResult]:
        results = [await sign_in.sign_in(**attempt, client=client) for attempt in tries]
        await sign_in.throttled_attempts.flush()
        return results

    return run_async(scenario())


def outcomes(results: list[sign_in.SignInResult]) -> list[str]:
    return ["signed in" if r.signed_in else f"wait {math.ceil(r.retry_after / 60)} min" if r.retry_after else "refused"
            for r in results]


def audit(engine) -> list[tuple[str, str, str, int]]:
    with Session(engine) as session:
        return [(row.email, row.client, row.outcome, row.attempts)
                for row in session.exec(select(SignInAttempt).order_by(SignInAttempt.id))]


def test_after_five_failures_the_account_waits_even_with_the_right_password(settings, engine):
    results = attempts([WRONG] * 5 + [RIGHT, WRONG])

    assert outcomes(results) == ["refused"] * 5 + ["wait 15 min", "wait 15 min"]
    assert 840 < results[5].retry_after <= 900  # 15 minutes after the first failure
    assert sign_in.refusal_message(results[5].retry_after) == "Too many sign-in attempts. Try again in 15 minutes."
    # Five checked and refused, then the two turned away, counted in one row.
    assert audit(engine) == [("rep@example.com", "203.0.113.7", "refused", 1)] * 5 + [
        ("rep@example.com", "203.0.113.7", "throttled", 2)]
    with Session(engine) as session:
        assert session.exec(select(AuthSession)).all() == []


def test_an_unknown_email_is_answered_exactly_like_a_known_one(settings, engine):
    unknown = {"email": "nobody@example.com", "password": "wrong-horse-1"}
    known, stranger = attempts([WRONG] * 6), attempts([unknown] * 6)

    assert outcomes(known) == outcomes(stranger) == ["refused"] * 5 + ["wait 15 min"]
    assert [sign_in.refusal_message(r.retry_after) for r in known] == [
        sign_in.refusal_message(r.retry_after) for r in stranger]
    assert sign_in.refusal_message(0) == "Wrong email or password, or the account is deactivated."


def test_the_wait_is_that_of_the_longest_full_rule(settings, engine, monkeypatch):
    monkeypatch.setattr(settings, "sign_in_account_limits", "2/15 minutes;2/day")

    results = attempts([WRONG, WRONG, WRONG])

    assert outcomes(results)[:2] == ["refused", "refused"]
    assert 86_340 < results[2].retry_after <= 86_400
    assert sign_in.refusal_message(results[2].retry_after) == "Too many sign-in attempts. Try again in 1440 minutes."


def test_signing_in_forgets_the_accounts_earlier_failures(settings, engine):
    results = attempts([WRONG] * 4 + [RIGHT] + [WRONG] * 6)

    assert outcomes(results) == ["refused"] * 4 + ["signed in"] + ["refused"] * 5 + ["wait 15 min"]
    assert [outcome for _, _, outcome, _ in audit(engine)] == ["refused"] * 4 + ["signed_in"] + ["refused"] * 5 + [
        "throttled"]


def test_one_client_guessing_many_accounts_is_throttled_by_its_address(settings, engine, monkeypatch):
    monkeypatch.setattr(settings, "sign_in_client_limits", "3/15 minutes")
    guesses = [{"email": f"user{n}@example.com", "password": "guess-1234"} for n in range(4)]

    from_one = attempts(guesses + [RIGHT])
    from_another = attempts([RIGHT], client="198.51.100.1")

    assert outcomes(from_one) == ["refused"] * 3 + ["wait 15 min", "wait 15 min"]
    assert outcomes(from_another) == ["signed in"]


def test_the_audit_never_holds_the_password(settings, engine):
    attempts([WRONG, RIGHT])

    with Session(engine) as session:
        rows = [(row.email, row.client, row.outcome, row.attempts, row.at)
                for row in session.exec(select(SignInAttempt).order_by(SignInAttempt.id))]
    assert [row[:4] for row in rows] == [("rep@example.com", "203.0.113.7", "refused", 1),
                                         ("rep@example.com", "203.0.113.7", "signed_in", 1)]
    assert not [value for row in rows for value in row if "horse" in str(value)]


def test_passwords_are_checked_on_at_most_the_configured_threads_never_on_the_event_loop(settings, monkeypatch):
    monkeypatch.setattr(settings, "password_check_threads", 2)
    monkeypatch.setattr(settings, "sign_in_client_limits", "100/15 minutes")
    threads, running, most = [], [0], [0]
    lock = threading.Lock()
    real_verify = security.verify_password

    def slow_verify(password_hash, password):
        with lock:
            threads.append(threading.current_thread().name)
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return real_verify(password_hash, password)

    monkeypatch.setattr(users, "verify_password", slow_verify)

    async def eight_at_once() -> list[sign_in.SignInResult]:
        loop_thread = threading.current_thread().name
        tries = [sign_in.sign_in(email=f"{uuid.uuid4().hex}@example.com", password="guess-1234", client="192.0.2.1")
                 for _ in range(8)]
        results = await asyncio.gather(*tries)
        assert loop_thread not in threads
        return results

    results = run_async(eight_at_once())

    assert outcomes(results) == ["refused"] * 8
    assert most[0] == 2
    assert {name.rsplit("_", 1)[0] for name in threads} == {"password-check"}


def test_the_throttle_is_shared_by_every_worker_through_redis(settings, monkeypatch):
    monkeypatch.setattr(settings, "redis_url", "redis://127.0.0.1:6379/0")
    rate_limit._limiter.cache_clear()
    account = {"email": f"{uuid.uuid4().hex}@example.com", "password": "guess-1234"}
    client = f"192.0.2.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:8]}"  # a new address: Redis outlives the test

    assert outcomes(attempts([account] * 5, client=client)) == ["refused"] * 5
    rate_limit._limiter.cache_clear()  # another worker: a limiter of its own on the same store

    assert outcomes(attempts([account], client=client)) == ["wait 15 min"]


def test_an_email_with_a_nul_is_refused_and_audited_with_the_character_replaced(settings, engine):
    results = attempts([{"email": "rep@example.com\x00", "password": PASSWORD}])

    assert outcomes(results) == ["refused"]
    assert audit(engine) == [("rep@example.com\ufffd", "203.0.113.7", "refused", 1)]
