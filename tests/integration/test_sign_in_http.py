"""POST /auth/sign-in and /auth/sign-out over HTTP: the session cookie, its rotation, safe redirects, the idle
timeout, against a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from crm_app import rate_limit, sign_in
from crm_app.sign_in import session_token_of
from crm_app.api import api
from crm_app.data.models import AuthSession, Role, SignInAttempt, UserCreate, utcnow
from crm_app.data.repositories import users
from crm_app.data.security import token_digest
from crm_app.settings import get_settings

FORM = {"email": "rep@example.com", "password": "correct-horse-1"}
HOUR = timedelta(hours=1)


@pytest.fixture
def settings(engine, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(settings, "redis_url", None)
    monkeypatch.setattr(settings, "trusted_proxy_hops", 0)
    monkeypatch.setattr(settings, "allowed_origins", "http://crm.example")
    monkeypatch.setattr(sign_in, "throttled_attempts", sign_in.ThrottledTally())  # none left from another test
    rate_limit._limiter.cache_clear()
    sign_in._password_checkers.cache_clear()
    with Session(engine) as session:
        users.create_user(session=session, actor=None, user_create=UserCreate(
            email="rep@example.com", full_name="Riley Rep", role=Role.sales_rep, password="correct-horse-1"))
        session.commit()
    yield settings
    rate_limit._limiter.cache_clear()
    sign_in._password_checkers.cache_clear()


@pytest.fixture
def client(settings):
    return TestClient(api, base_url="http://crm.example", follow_redirects=False)


def cookie_attributes(response) -> tuple[str, list[str]]:
    """(the session token set, the cookie's attributes in order) of the response's Set-Cookie."""
    [header] = response.headers.get_list("set-cookie")
    value, *attributes = [part.strip() for part in header.split(";")]
    name, _, token = value.partition("=")
    assert name == "crm_session"
    return token.strip('"'), attributes


def live_actor(engine, token: str):
    with Session(engine) as session:
        return users.actor_for_token(session=session, token=token)


def test_signing_in_sets_an_httponly_same_site_strict_cookie_and_goes_to_next(client, engine):
    response = client.post("/auth/sign-in", data=FORM | {"next": "/customers?page=2&sort=name"},
                           headers={"Origin": "http://crm.example"})

    assert response.status_code == 303
    assert response.headers["location"] == "/customers?page=2&sort=name"
    token, attributes = cookie_attributes(response)
    assert attributes == ["HttpOnly", "Max-Age=43200", "Path=/", "SameSite=strict"]
    assert len(token) >= 40
    assert live_actor(engine, token).email == "rep@example.com"


@pytest.mark.parametrize(("url", "headers", "hops", "secure"), [
    ("https://crm.example", {}, 0, True),
    ("http://crm.example", {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}, 1, True),
    ("http://crm.example", {"X-Forwarded-Proto": "https"}, 0, False),  # nobody trusted said so
])
def test_the_cookie_is_secure_when_served_over_https(settings, monkeypatch, url, headers, hops, secure):
    monkeypatch.setattr(settings, "trusted_proxy_hops", hops)
    client = TestClient(api, base_url=url, follow_redirects=False)

    _, attributes = cookie_attributes(client.post("/auth/sign-in", data=FORM, headers=headers))

    assert ("Secure" in attributes) is secure


def test_signing_in_again_rotates_the_token_and_ends_the_old_session(client, engine):
    first, _ = cookie_attributes(client.post("/auth/sign-in", data=FORM))
    client.cookies.set("crm_session", first)

    second, _ = cookie_attributes(client.post("/auth/sign-in", data=FORM))

    assert second != first
    assert live_actor(engine, first) is None
    assert live_actor(engine, second).email == "rep@example.com"


@pytest.mark.parametrize("next_path", ["//evil.example/x", "https://evil.example/", "/login?next=/x", "\\\\evil",
                                       "customers", "/\\evil.example"])
def test_a_next_that_leaves_the_site_goes_home_instead(client, next_path):
    response = client.post("/auth/sign-in", data=FORM | {"next": next_path})

    assert (response.status_code, response.headers["location"]) == (303, "/")


def test_a_wrong_password_goes_back_to_the_form_without_a_cookie(client, engine):
    response = client.post("/auth/sign-in", data=FORM | {"password": "wrong-horse-1", "next": "/customers"})

    assert (response.status_code, response.headers["location"]) == (303, "/login?error=refused&next=%2Fcustomers")
    assert "set-cookie" not in response.headers
    with Session(engine) as session:
        assert session.exec(select(AuthSession)).all() == []
        assert [(a.email, a.client, a.outcome) for a in session.exec(select(SignInAttempt))] == [
            ("rep@example.com", "testclient", "refused")]


def test_a_throttled_attempt_says_when_to_retry(client):
    for _ in range(5):
        client.post("/auth/sign-in", data=FORM | {"password": "wrong-horse-1"})

    response = client.post("/auth/sign-in", data=FORM)

    wait = int(response.headers["retry-after"])
    assert 840 < wait <= 900
    assert response.headers["location"] == f"/login?error=throttled&wait={wait}"
    assert "set-cookie" not in response.headers


def test_an_empty_form_is_sent_back_without_checking_anything(client, engine):
    response = client.post("/auth/sign-in", data={"email": " ", "password": ""})

    assert response.headers["location"] == "/login?error=missing"
    with Session(engine) as session:
        assert session.exec(select(SignInAttempt)).all() == []


@pytest.mark.parametrize("path", ["/auth/sign-in", "/auth/sign-out"])
def test_a_post_from_a_foreign_page_is_refused(client, engine, path):
    response = client.post(path, data=FORM, headers={"Origin": "http://evil.example"})

    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    with Session(engine) as session:
        assert session.exec(select(SignInAttempt)).all() == []


def test_a_body_that_is_not_the_login_form_is_refused(client):
    assert client.post("/auth/sign-in", json=FORM).status_code == 400
    assert client.post("/auth/sign-in", data=FORM | {"password": "x" * 5000}).status_code == 400


def test_a_refused_post_says_why_in_the_browsers_language(client):
    foreign = client.post("/auth/sign-in", data=FORM, headers={"Origin": "http://evil.example"})
    assert (foreign.status_code, foreign.text) == (403, "Sign in from the app's own login page.")
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    foreign = client.post("/auth/sign-in", data=FORM, headers={"Origin": "http://evil.example", **chinese})
    assert (foreign.status_code, foreign.text) == (403, "请在本应用自己的登录页面登录。")
    assert client.post("/auth/sign-in", json=FORM, headers=chinese).text == "应提交登录表单。"


def test_signing_out_ends_the_session_and_clears_the_cookie(client, engine):
    token, _ = cookie_attributes(client.post("/auth/sign-in", data=FORM))
    client.cookies.set("crm_session", token)

    response = client.post("/auth/sign-out", headers={"Origin": "http://crm.example"})

    assert (response.status_code, response.headers["location"]) == (303, "/login")
    cleared, attributes = cookie_attributes(response)
    assert (cleared, attributes[:2]) == ("", ["HttpOnly", "Max-Age=0"])
    assert live_actor(engine, token) is None
    with Session(engine) as session:
        revoked = session.exec(select(AuthSession.revoked_at).where(AuthSession.token_hash == token_digest(token)))
        assert revoked.one() is not None


def test_a_session_idle_longer_than_the_idle_limit_has_ended(engine, settings):
    with Session(engine) as session:
        user = session.exec(select(users.User).where(users.User.email == "rep@example.com")).one()
        token = users.open_session(session=session, user=user, ttl=12 * HOUR)
        session.commit()
    idle = timedelta(minutes=60)

    def seen(minutes_ago: int):
        with Session(engine) as session:
            row = session.exec(select(AuthSession).where(AuthSession.token_hash == token_digest(token))).one()
            row.last_seen_at = utcnow() - timedelta(minutes=minutes_ago)
            session.add(row)
            session.commit()
            return users.session_for_token(session=session, token=token, idle=idle)

    assert seen(61) is None
    live = seen(59)
    assert live.actor.email == "rep@example.com" and users.needs_touch(live)
    assert users.needs_touch(seen(0)) is False
    with Session(engine) as session:
        seen(59)
        users.touch_session(session=session, token=token)
        session.commit()
        assert users.needs_touch(users.session_for_token(session=session, token=token, idle=idle)) is False


@pytest.mark.parametrize(("header", "token"), [
    ("crm_session=abc; theme=dark", "abc"),
    ("theme=dark;crm_session=\"quoted\"", "quoted"),
    ("theme=dark", ""),
    ("", ""),
    ("crm_session=" + "x" * 500, "x" * 128),
])
def test_the_session_token_is_read_from_the_cookie_header(header, token):
    assert session_token_of(header) == token
