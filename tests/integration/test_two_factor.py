"""Two-factor sign-in, recovery codes, the per-role requirement, and password changes and resets, on SQLite
and PostgreSQL. TOTP codes are computed here with pyotp from the secret the enrolment shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlmodel import Session, select

from crm_app.data.models import AuditLog, RecoveryCode, Role, TwoFactor, User, UserCreate
from crm_app.data.passwords import WeakPassword
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import two_factor, users

HOUR = timedelta(hours=1)
# 2026-12-05 10:00:00 UTC is the start of 30-second step 59 882 160 (1 796 464 800 s / 30).
NOON = datetime(2026, 12, 5, 10, 0, 0, tzinfo=UTC)
STEP = 59_882_160


def _add(session: Session, email: str, role: Role) -> User:
    return users.create_user(
        session=session, actor=None,
        user_create=UserCreate(email=email, full_name=email.split("@")[0], role=role, password="correct-horse-1"),
    )


@pytest.fixture
def team(engine):
    with Session(engine) as session:
        admin, rep = _add(session, "admin@example.com", Role.admin), _add(session, "rep@example.com", Role.sales_rep)
        session.commit()
        return {"admin": users.actor_of(admin), "rep": users.actor_of(rep)}


def _enrolled(engine, actor) -> tuple[pyotp.TOTP, list[str]]:
    """Enrol `actor` at NOON (spending step STEP) and return their authenticator and recovery codes."""
    with Session(engine) as session:
        enrolment = two_factor.enrol(session=session, actor=actor)
        totp = pyotp.TOTP(enrolment.secret)
        codes = two_factor.confirm_enrolment(session=session, actor=actor, code=totp.at(NOON), now=NOON)
        session.commit()
    return totp, codes


def _verify(engine, actor, code: str, now: datetime | None = NOON) -> bool:
    with Session(engine) as session:
        user = session.get(User, actor.id)
        accepted = two_factor.verify_sign_in_code(session=session, user=user, code=code, now=now)
        session.commit()
    return accepted


def test_enrolment_shows_secret_uri_and_qr_and_is_off_until_a_code_confirms_it(engine, team):
    with Session(engine) as session:
        enrolment = two_factor.enrol(session=session, actor=team["rep"])
        session.commit()
        assert len(enrolment.secret) == 32
        assert enrolment.provisioning_uri == (
            f"otpauth://totp/crm_app:rep%40example.com?secret={enrolment.secret}&issuer=crm_app"
        )
        assert enrolment.qr_svg_data_uri.startswith("data:image/svg+xml;charset=utf-8,")
        assert two_factor.is_enrolled(session=session, user_id=team["rep"].id) is False

        with pytest.raises(two_factor.TwoFactorRefused, match="That code is not right"):
            two_factor.confirm_enrolment(session=session, actor=team["rep"], code="000000", now=NOON)
        totp = pyotp.TOTP(enrolment.secret)
        assert totp.timecode(NOON) == STEP
        codes = two_factor.confirm_enrolment(session=session, actor=team["rep"], code=totp.at(NOON), now=NOON)
        session.commit()
        assert two_factor.is_enrolled(session=session, user_id=team["rep"].id) is True
        assert len(codes) == 10 and len(set(codes)) == 10
        assert all(len(code) == 19 and code.count("-") == 3 for code in codes)
        stored = session.exec(select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
        with pytest.raises(two_factor.TwoFactorRefused, match="already on"):
            two_factor.enrol(session=session, actor=team["rep"])


def test_totp_code_is_accepted_one_step_either_side_and_never_twice(engine, team):
    totp, _ = _enrolled(engine, team["rep"])
    later = NOON + timedelta(minutes=10)
    # The enrolment spent STEP: its code does not sign in.
    assert _verify(engine, team["rep"], totp.at(NOON), now=NOON) is False
    assert _verify(engine, team["rep"], totp.at(later - timedelta(seconds=60)), now=later) is False
    assert _verify(engine, team["rep"], totp.at(later - timedelta(seconds=30)), now=later) is True
    assert _verify(engine, team["rep"], totp.at(later - timedelta(seconds=30)), now=later) is False
    # An earlier step than the last accepted one is refused even within the window.
    assert _verify(engine, team["rep"], totp.at(later), now=later + timedelta(seconds=30)) is True
    assert _verify(engine, team["rep"], totp.at(later), now=later) is False
    assert _verify(engine, team["rep"], totp.at(later + timedelta(seconds=60)), now=later + timedelta(seconds=30)) is True
    assert _verify(engine, team["rep"], totp.at(later + timedelta(seconds=120)), now=later + timedelta(seconds=30)) is False
    with Session(engine) as session:
        assert session.get(TwoFactor, team["rep"].id).last_used_step == STEP + 22


def test_recovery_code_works_once_in_any_case_and_spacing(engine, team):
    _, codes = _enrolled(engine, team["rep"])
    assert _verify(engine, team["rep"], codes[0].upper().replace("-", " ")) is True
    assert _verify(engine, team["rep"], codes[0]) is False
    assert _verify(engine, team["rep"], "aaaa-bbbb-cccc-dddd") is False
    with Session(engine) as session:
        assert two_factor.recovery_codes_left(session=session, user_id=team["rep"].id) == 9
        assert session.exec(select(AuditLog.action).where(AuditLog.action == "recovery_code_used")).all() == [
            "recovery_code_used"
        ]
    # Another user's code is not this user's.
    _, admin_codes = _enrolled(engine, team["admin"])
    assert _verify(engine, team["rep"], admin_codes[0]) is False
    assert _verify(engine, team["admin"], admin_codes[0]) is True


def test_hostile_codes_are_refused_without_error(engine, team):
    _enrolled(engine, team["rep"])
    for code in ("", "12345", "1234567", "abcdef", "１２３４５６", "x" * 10_000, None, 123456):
        assert _verify(engine, team["rep"], code) is False


def test_regenerated_recovery_codes_replace_the_old_ones(engine, team):
    _, old = _enrolled(engine, team["rep"])
    with Session(engine) as session:
        new = two_factor.regenerate_recovery_codes(session=session, actor=team["rep"])
        session.commit()
    assert not set(new) & set(old)
    assert _verify(engine, team["rep"], old[1]) is False
    assert _verify(engine, team["rep"], new[1]) is True


def test_disable_needs_the_password_and_removes_secret_and_codes(engine, team):
    totp, codes = _enrolled(engine, team["rep"])
    with Session(engine) as session:
        with pytest.raises(two_factor.TwoFactorRefused, match="password is not right"):
            two_factor.disable(session=session, actor=team["rep"], password="wrong-horse-1")
        two_factor.disable(session=session, actor=team["rep"], password="correct-horse-1")
        session.commit()
        assert session.exec(select(TwoFactor)).all() == []
        assert session.exec(select(RecoveryCode)).all() == []
        with pytest.raises(two_factor.TwoFactorRefused, match="Turn on two-factor"):
            two_factor.regenerate_recovery_codes(session=session, actor=team["rep"])
    assert _verify(engine, team["rep"], codes[2]) is False
    assert _verify(engine, team["rep"], totp.at(NOON + HOUR), now=NOON + HOUR) is False


def test_role_requirement_keeps_unenrolled_users_to_their_account(engine, team):
    with Session(engine) as session:
        token = users.open_session(session=session, user=session.get(User, team["rep"].id), ttl=HOUR)
        with pytest.raises(PermissionDenied):
            two_factor.set_required(session=session, actor=team["rep"], role=Role.sales_rep, required=True)
        two_factor.set_required(session=session, actor=team["admin"], role=Role.sales_rep, required=True)
        session.commit()
        assert two_factor.required_roles(session=session) == {Role.sales_rep}
        assert two_factor.is_required(session=session, user=team["rep"]) is True
        assert two_factor.is_required(session=session, user=team["admin"]) is False
        actor = users.actor_for_token(session=session, token=token)
        assert (actor.must_enrol_two_factor, actor.account_setup_pending) == (True, True)
    _enrolled(engine, team["rep"])
    with Session(engine) as session:
        actor = users.actor_for_token(session=session, token=token)
        assert (actor.must_enrol_two_factor, actor.account_setup_pending) == (False, False)
        two_factor.set_required(session=session, actor=team["admin"], role=Role.sales_rep, required=False)
        session.commit()
        assert two_factor.required_roles(session=session) == set()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 10 characters."),
        ("password123", "This is a very common password. Add another word or two. Uncommon words are better."),
        ("aaaaaaaaaaaa", 'Repeats like "aaa" are easy to guess. Add another word or two. Uncommon words are better. '
                         "Avoid repeated words and characters."),
        # The user's own email: easy to guess for anyone who knows whose account it is.
        ("rep@example.com", "This password is easy to guess. Add another word or two. Uncommon words are better."),
    ],
)
def test_easy_passwords_are_refused_with_the_reason(engine, team, password, message):
    with Session(engine) as session:
        with pytest.raises(WeakPassword) as refused:
            users.change_password(session=session, actor=team["rep"], current_password="correct-horse-1",
                                  new_password=password)
    assert str(refused.value) == message


def test_own_password_change_needs_the_current_one_and_ends_other_sessions(engine, team):
    with Session(engine) as session:
        rep = session.get(User, team["rep"].id)
        here, elsewhere = (users.open_session(session=session, user=rep, ttl=HOUR) for _ in range(2))
        with pytest.raises(users.WrongPassword, match="current password is not right"):
            users.change_password(session=session, actor=team["rep"], current_password="wrong-horse-1",
                                  new_password="violet-lantern-harbor")
        with pytest.raises(WeakPassword, match="different from your current one"):
            users.change_password(session=session, actor=team["rep"], current_password="correct-horse-1",
                                  new_password="correct-horse-1")
        users.change_password(session=session, actor=team["rep"], current_password="correct-horse-1",
                              new_password="violet-lantern-harbor", current_token=here)
        session.commit()
        assert users.actor_for_token(session=session, token=here) == team["rep"]
        assert users.actor_for_token(session=session, token=elsewhere) is None
        assert users.authenticate(session=session, email="rep@example.com", password="correct-horse-1") is None
        assert users.authenticate(session=session, email="rep@example.com", password="violet-lantern-harbor").id == rep.id


def test_admin_reset_signs_the_user_out_and_forces_a_change(engine, team):
    with Session(engine) as session:
        rep = session.get(User, team["rep"].id)
        old_token = users.open_session(session=session, user=rep, ttl=HOUR)
        for actor, user_id, refusal in [(team["rep"], team["admin"].id, PermissionDenied),
                                        (team["admin"], team["admin"].id, PermissionDenied),
                                        (team["admin"], 999_999, NotFound)]:
            with pytest.raises(refusal):
                users.reset_password(session=session, actor=actor, user_id=user_id, new_password="temporary-plum-42")
        with pytest.raises(WeakPassword):
            users.reset_password(session=session, actor=team["admin"], user_id=rep.id, new_password="password123")
        users.reset_password(session=session, actor=team["admin"], user_id=rep.id, new_password="temporary-plum-42")
        session.commit()
        assert users.actor_for_token(session=session, token=old_token) is None
        user = users.authenticate(session=session, email="rep@example.com", password="temporary-plum-42")
        token = users.open_session(session=session, user=user, ttl=HOUR)
        session.commit()
        assert users.actor_for_token(session=session, token=token).account_setup_pending is True

        users.change_password(session=session, actor=team["rep"], current_password="temporary-plum-42",
                              new_password="violet-lantern-harbor", current_token=token)
        session.commit()
        assert users.actor_for_token(session=session, token=token).account_setup_pending is False
        actions = session.exec(select(AuditLog.action).where(AuditLog.entity_id == rep.id)
                               .order_by(AuditLog.id)).all()
    assert actions[-3:] == ["password_reset", "sign_in", "password_change"]


def test_sign_out_everywhere_ends_every_session_of_the_user_only(engine, team):
    with Session(engine) as session:
        rep, admin = session.get(User, team["rep"].id), session.get(User, team["admin"].id)
        rep_tokens = [users.open_session(session=session, user=rep, ttl=HOUR) for _ in range(3)]
        admin_token = users.open_session(session=session, user=admin, ttl=HOUR)
        assert users.sign_out_everywhere(session=session, actor=team["rep"]) == 3
        session.commit()
        assert [users.actor_for_token(session=session, token=t) for t in rep_tokens] == [None, None, None]
        assert users.actor_for_token(session=session, token=admin_token) == team["admin"]


def test_an_admin_turns_off_a_users_two_factor_sign_in(engine, team):
    totp, codes = _enrolled(engine, team["rep"])
    with Session(engine) as session:
        for actor, user_id, refusal in [(team["rep"], team["rep"].id, PermissionDenied),
                                        (team["admin"], 999_999, NotFound)]:
            with pytest.raises(refusal):
                two_factor.turn_off_for_user(session=session, actor=actor, user_id=user_id)
        two_factor.turn_off_for_user(session=session, actor=team["admin"], user_id=team["rep"].id)
        session.commit()
        assert two_factor.is_enrolled(session=session, user_id=team["rep"].id) is False
        assert two_factor.recovery_codes_left(session=session, user_id=team["rep"].id) == 0
        row = session.exec(select(AuditLog).where(AuditLog.action == "two_factor_off")).one()
        assert (row.actor_id, row.entity_id) == (team["admin"].id, team["rep"].id)
    assert _verify(engine, team["rep"], codes[0]) is False
