"""Sign-in, sessions, user administration and its audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from crm_app.data.models import AuditLog, AuthSession, Role, User, UserCreate, UserUpdate
from crm_app.data.permissions import PermissionDenied
from crm_app.data.repositories import users

HOUR = timedelta(hours=1)


def _add(session: Session, email: str, role: Role, actor=None) -> User:
    return users.create_user(
        session=session, actor=actor,
        user_create=UserCreate(email=email, full_name=email.split("@")[0], role=role, password="correct-horse-1"),
    )


@pytest.fixture
def team(engine):
    with Session(engine) as session:
        admin = _add(session, "admin@example.com", Role.admin)
        rep = _add(session, "rep@example.com", Role.sales_rep)
        session.commit()
        return {"admin": users.actor_of(admin), "rep": users.actor_of(rep)}


def test_password_is_stored_as_argon2id_hash(engine, team):
    with Session(engine) as session:
        stored = session.exec(select(User.password_hash).where(User.email == "rep@example.com")).one()
    assert stored.startswith("$argon2id$")
    assert "correct-horse-1" not in stored


def test_authenticate_accepts_only_the_right_password(engine, team):
    with Session(engine) as session:
        assert users.authenticate(session=session, email=" REP@example.com ", password="correct-horse-1").id == team["rep"].id
        assert users.authenticate(session=session, email="rep@example.com", password="wrong-horse-1") is None
        assert users.authenticate(session=session, email="nobody@example.com", password="correct-horse-1") is None


def test_session_token_identifies_the_user_until_revoked(engine, team):
    with Session(engine) as session:
        user = session.get(User, team["rep"].id)
        token = users.open_session(session=session, user=user, ttl=HOUR)
        session.commit()
        assert users.actor_for_token(session=session, token=token) == team["rep"]
        stored = session.exec(select(AuthSession.token_hash)).one()
        assert token not in stored and len(stored) == 64

        users.revoke_session(session=session, token=token)
        session.commit()
        assert users.actor_for_token(session=session, token=token) is None
        assert users.actor_for_token(session=session, token="not-a-token") is None
        assert users.actor_for_token(session=session, token="") is None


def test_expired_session_is_refused(engine, team):
    with Session(engine) as session:
        token = users.open_session(session=session, user=session.get(User, team["rep"].id), ttl=-HOUR)
        session.commit()
        assert users.actor_for_token(session=session, token=token) is None


def test_deactivation_ends_every_session_and_sign_in(engine, team):
    with Session(engine) as session:
        rep = session.get(User, team["rep"].id)
        tokens = [users.open_session(session=session, user=rep, ttl=HOUR) for _ in range(2)]
        users.update_user(session=session, actor=team["admin"], user_id=rep.id, user_update=UserUpdate(is_active=False))
        session.commit()
        assert [users.actor_for_token(session=session, token=t) for t in tokens] == [None, None]
        assert users.authenticate(session=session, email="rep@example.com", password="correct-horse-1") is None

        revoked = session.exec(select(AuthSession).where(AuthSession.revoked_at.is_(None))).all()
        assert revoked == []


def test_only_admins_manage_users(engine, team):
    with Session(engine) as session:
        with pytest.raises(PermissionDenied):
            users.list_users(session=session, actor=team["rep"])
        with pytest.raises(PermissionDenied):
            _add(session, "sneaky@example.com", Role.admin, actor=team["rep"])
        with pytest.raises(PermissionDenied):
            users.update_user(session=session, actor=team["rep"], user_id=team["rep"].id,
                              user_update=UserUpdate(role=Role.admin))
        assert [u.email for u in users.list_users(session=session, actor=team["admin"])] == [
            "admin@example.com", "rep@example.com",
        ]


def test_last_admin_cannot_be_demoted_or_deactivated(engine, team):
    with Session(engine) as session:
        for change in (UserUpdate(role=Role.executive), UserUpdate(is_active=False)):
            with pytest.raises(PermissionDenied, match="last active admin"):
                users.update_user(session=session, actor=team["admin"], user_id=team["admin"].id, user_update=change)


def test_duplicate_email_is_refused(engine, team):
    with Session(engine) as session, pytest.raises(users.EmailTaken):
        _add(session, "rep@example.com", Role.sales_rep, actor=team["admin"])


def test_changes_are_audited_with_old_and_new_values(engine, team):
    with Session(engine) as session:
        users.update_user(session=session, actor=team["admin"], user_id=team["rep"].id,
                          user_update=UserUpdate(role=Role.executive))
        session.commit()
        row = session.exec(select(AuditLog).where(AuditLog.action == "update")).one()
    assert (row.actor_id, row.entity, row.entity_id) == (team["admin"].id, "user", team["rep"].id)
    assert row.old_values == {"role": "sales_rep"}
    assert row.new_values == {"role": "executive"}


def test_audit_row_is_rolled_back_with_its_change(engine, team):
    with Session(engine) as session:
        users.update_user(session=session, actor=team["admin"], user_id=team["rep"].id,
                          user_update=UserUpdate(full_name="Renamed"))
        session.rollback()
        assert session.exec(select(AuditLog).where(AuditLog.action == "update")).all() == []
        assert session.get(User, team["rep"].id).full_name == "rep"


def test_a_users_time_zone_is_a_known_zone_and_the_browsers_never_overrides_their_choice(engine, team):
    rep = team["rep"]
    with Session(engine) as session:
        for hostile in ("Mars/Olympus", "", None, 5, ["UTC"], "Europe/Berlin\x00"):
            with pytest.raises(ValueError):
                users.set_time_zone(session=session, actor=rep, time_zone=hostile)
        # No zone yet: the browser's is taken; afterwards the browser's is ignored, the user's own choice is not.
        assert users.set_time_zone(session=session, actor=rep, time_zone="Asia/Tokyo", only_if_unset=True) == "Asia/Tokyo"
        assert users.set_time_zone(session=session, actor=rep, time_zone="UTC", only_if_unset=True) == "Asia/Tokyo"
        assert users.set_time_zone(session=session, actor=rep, time_zone="Europe/Berlin") == "Europe/Berlin"
        session.commit()
        stored = session.exec(select(User).where(User.email == "rep@example.com")).one()
        audit = session.exec(select(AuditLog).where(AuditLog.entity == "user", AuditLog.entity_id == rep.id,
                                                    AuditLog.action == "update").order_by(AuditLog.id)).all()
        assert users.actor_of(stored).time_zone == "Europe/Berlin"
    assert [(a.old_values, a.new_values) for a in audit] == [
        ({"time_zone": None}, {"time_zone": "Asia/Tokyo"}),
        ({"time_zone": "Asia/Tokyo"}, {"time_zone": "Europe/Berlin"}),
    ]
