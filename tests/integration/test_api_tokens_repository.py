"""The rules of personal access tokens that the account page, the admin's users page and the CLI share
(data/repositories/api_tokens.py), on SQLite and PostgreSQL: a token's owner sees and revokes it, another rep
neither sees nor revokes it, an admin sees and revokes everybody's; names and expiries are checked; and the API
refuses a token once it is revoked or expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from crm_app import rate_limit
from crm_app.data.models import ApiToken, AuditLog, TokenAccess, TokenStatus, User
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories.api_tokens import (PAGE_SIZE, TokenRefused, all_tokens, create_token, list_tokens,
                                                  revoke_token)
from crm_app.data.repositories.users import actor_of
from crm_app.settings import get_settings
from tests.conftest import add_staff, serve_api_on

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def staff(engine):
    with Session(engine) as session:
        people = add_staff(session)
        session.commit()
        return {name: actor_of(session.get(User, user.id)) for name, user in people.items()}


def _create(engine, actor, name: str, *, write: bool = False, days: int = 30, now: datetime = NOW) -> tuple[int, str]:
    with Session(engine) as session:
        created = create_token(session=session, actor=actor, name=name, can_write=write, days=days, now=now)
        session.commit()
        return created.token.id, created.secret


def _revoke(engine, actor, token_id: object, now: datetime = NOW) -> None:
    with Session(engine) as session:
        revoke_token(session=session, actor=actor, token_id=token_id, now=now)
        session.commit()


def _own(engine, actor, now: datetime = NOW) -> list[tuple[str, str, TokenStatus]]:
    with Session(engine) as session:
        return [(row.name, row.access, row.status) for row in list_tokens(session=session, actor=actor, now=now)]


def test_a_user_lists_only_their_own_tokens_newest_first(engine, staff):
    _create(engine, staff["rep"], "shop sync", write=True, now=NOW - timedelta(hours=2))
    _create(engine, staff["rep"], "reporting", now=NOW - timedelta(hours=1))
    _create(engine, staff["other"], "other's script")
    _create(engine, staff["admin"], "admin's backup")

    assert _own(engine, staff["rep"]) == [("reporting", TokenAccess.read, TokenStatus.active),
                                          ("shop sync", TokenAccess.read_write, TokenStatus.active)]
    assert _own(engine, staff["other"]) == [("other's script", TokenAccess.read, TokenStatus.active)]
    # An admin's own list is their own too: everybody's is a separate, admin-only question.
    assert _own(engine, staff["admin"]) == [("admin's backup", TokenAccess.read, TokenStatus.active)]
    assert _own(engine, staff["exec"]) == []


def test_only_an_admin_lists_everybodys_tokens_with_their_owners(engine, staff):
    _create(engine, staff["rep"], "shop sync", now=NOW - timedelta(minutes=2))
    _create(engine, staff["other"], "mail tool", write=True, now=NOW - timedelta(minutes=1))
    with Session(engine) as session:
        listed = all_tokens(session=session, actor=staff["admin"], now=NOW)
        for role in ("rep", "other", "exec"):
            with pytest.raises(PermissionDenied, match="Only admins see other people's tokens."):
                all_tokens(session=session, actor=staff[role], now=NOW)
    assert (listed.total, listed.page, listed.pages) == (2, 1, 1)
    assert [(r.user_name, r.user_email, r.name, r.access) for r in listed.rows] == [
        ("Other", "other@example.com", "mail tool", TokenAccess.read_write),
        ("Rep", "rep@example.com", "shop sync", TokenAccess.read)]


def test_everybodys_tokens_come_a_page_at_a_time(engine, staff):
    for n in range(PAGE_SIZE + 3):
        _create(engine, staff["rep"], f"script {n:02d}", now=NOW - timedelta(minutes=100 - n))
    with Session(engine) as session:
        first = all_tokens(session=session, actor=staff["admin"], page=1, now=NOW)
        second = all_tokens(session=session, actor=staff["admin"], page=2, now=NOW)
        beyond = all_tokens(session=session, actor=staff["admin"], page=99, now=NOW)
        hostile = [all_tokens(session=session, actor=staff["admin"], page=page, now=NOW).page
                   for page in ("2", None, True, -5, 0, 2.0)]
    assert (first.total, first.pages, len(first.rows), first.rows[0].name) == (28, 2, 25, "script 27")
    assert [row.name for row in second.rows] == ["script 02", "script 01", "script 00"]
    assert (beyond.page, [row.name for row in beyond.rows]) == (2, ["script 02", "script 01", "script 00"])
    assert hostile == [1, 1, 1, 1, 1, 1]


def test_the_owner_revokes_their_token_and_the_revocation_is_audited(engine, staff):
    token_id, _ = _create(engine, staff["rep"], "shop sync")
    _revoke(engine, staff["rep"], token_id, now=NOW + timedelta(minutes=5))
    _revoke(engine, staff["rep"], token_id, now=NOW + timedelta(minutes=9))  # twice: a no-op, audited once

    assert _own(engine, staff["rep"], now=NOW + timedelta(minutes=10)) == [
        ("shop sync", TokenAccess.read, TokenStatus.revoked)]
    with Session(engine) as session:
        token = session.get(ApiToken, token_id)
        audit = session.exec(select(AuditLog.actor_id, AuditLog.action, AuditLog.new_values)
                             .where(AuditLog.entity == "api_token", AuditLog.entity_id == token_id)
                             .order_by(AuditLog.id)).all()
    assert token.revoked_at.replace(tzinfo=UTC) == NOW + timedelta(minutes=5)
    assert [(actor, action) for actor, action, _ in audit] == [(staff["rep"].id, "create"), (staff["rep"].id, "revoke")]
    assert audit[1][2] == {"name": "shop sync", "user_id": staff["rep"].id}


def test_another_rep_or_an_executive_cannot_revoke_a_token_and_learns_nothing_of_it(engine, staff):
    token_id, _ = _create(engine, staff["rep"], "shop sync")
    for role in ("other", "exec"):
        with pytest.raises(NotFound, match="No such token."):
            _revoke(engine, staff[role], token_id)
    # The same answer as for a token that does not exist, or an id that is not one.
    for hostile in (token_id + 1000, "1", None, True, -1, 2**63, 1.0, [token_id]):
        with pytest.raises(NotFound, match="No such token."):
            _revoke(engine, staff["rep"], hostile)
    assert _own(engine, staff["rep"]) == [("shop sync", TokenAccess.read, TokenStatus.active)]


def test_an_admin_revokes_anybodys_token_audited_as_the_admin(engine, staff):
    token_id, _ = _create(engine, staff["other"], "mail tool", write=True)
    _revoke(engine, staff["admin"], token_id)
    assert _own(engine, staff["other"]) == [("mail tool", TokenAccess.read_write, TokenStatus.revoked)]
    with Session(engine) as session:
        revocation = session.exec(select(AuditLog).where(AuditLog.entity == "api_token",
                                                         AuditLog.action == "revoke")).one()
    assert (revocation.actor_id, revocation.entity_id) == (staff["admin"].id, token_id)


def test_a_token_past_its_expiry_lists_as_expired_and_a_revoked_one_as_revoked(engine, staff):
    _create(engine, staff["rep"], "old", days=30, now=NOW - timedelta(days=30))  # ran out exactly now
    revoked_id, _ = _create(engine, staff["rep"], "revoked then expired", days=1, now=NOW - timedelta(days=3))
    _revoke(engine, staff["rep"], revoked_id, now=NOW - timedelta(days=2, hours=12))
    _create(engine, staff["rep"], "fresh", days=30, now=NOW - timedelta(days=29))
    assert _own(engine, staff["rep"]) == [("revoked then expired", TokenAccess.read, TokenStatus.revoked),
                                          ("fresh", TokenAccess.read, TokenStatus.active),
                                          ("old", TokenAccess.read, TokenStatus.expired)]


@pytest.mark.parametrize(("name", "days", "field", "message"), [
    ("", 30, "name", "Name the token after what will use it, like 'shop sync'."),
    ("   \t ", 30, "name", "Name the token after what will use it, like 'shop sync'."),
    (None, 30, "name", "Name the token after what will use it, like 'shop sync'."),
    (["shop"], 30, "name", "Name the token after what will use it, like 'shop sync'."),
    ("x" * 81, 30, "name", "Keep the name to 80 characters of plain text."),
    ("shop\x00sync", 30, "name", "Keep the name to 80 characters of plain text."),
    ("shop sync", 0, "days", "Choose how long the token lasts, from 1 to 366 days."),
    ("shop sync", 367, "days", "Choose how long the token lasts, from 1 to 366 days."),
    ("shop sync", "30", "days", "Choose how long the token lasts, from 1 to 366 days."),
    ("shop sync", True, "days", "Choose how long the token lasts, from 1 to 366 days."),
    ("shop sync", None, "days", "Choose how long the token lasts, from 1 to 366 days."),
])
def test_a_bad_name_or_expiry_is_refused_and_nothing_is_written(engine, staff, name, days, field, message):
    with Session(engine) as session:
        with pytest.raises(TokenRefused, match=message) as refused:
            create_token(session=session, actor=staff["rep"], name=name, can_write=False, days=days, now=NOW)
        session.commit()
        assert refused.value.field == field
        assert session.exec(select(ApiToken)).all() == []
        assert session.exec(select(AuditLog).where(AuditLog.entity == "api_token")).all() == []


def test_a_name_is_kept_with_its_spaces_tidied_and_its_expiry_counted_in_days(engine, staff):
    token_id, secret = _create(engine, staff["rep"], "  shop \n sync ", days=365)
    with Session(engine) as session:
        token = session.get(ApiToken, token_id)
    assert (token.name, token.expires_at.replace(tzinfo=UTC)) == ("shop sync", NOW + timedelta(days=365))
    assert secret.startswith("crm_pat_") and secret not in repr(token.model_dump())


@pytest.fixture
def client(engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "api_token_rate_limit", "10000/minute")
    yield serve_api_on(monkeypatch, engine.url.render_as_string(hide_password=False))
    rate_limit._limiter.cache_clear()


def test_the_api_refuses_a_token_once_its_owner_revokes_it_or_it_expires(client, engine, staff):
    now = datetime.now(UTC)
    token_id, secret = _create(engine, staff["rep"], "shop sync", now=now)
    _, expired = _create(engine, staff["rep"], "last month's", days=30, now=now - timedelta(days=30, seconds=1))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/customers", headers=headers).status_code == 200

    _revoke(engine, staff["rep"], token_id, now=now)
    refused = client.get("/api/v1/customers", headers=headers)
    assert (refused.status_code, refused.headers["content-type"]) == (401, "application/problem+json")
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
