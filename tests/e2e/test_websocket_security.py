"""Every event handler can be called by any websocket client: staff-only ones must refuse outsiders.

These tests talk to the served app over its websocket the way the Reflex frontend does (socket.io on
/_event, a random client token in the query, the hydrate event in the CONNECT packet), but call
handlers no page of theirs would offer.
"""

from __future__ import annotations

import json

import pytest

from crm_app import routes
from crm_app.states.admin_users import AdminUsersState
from crm_app.states.auth import FORBIDDEN, AuthState
from crm_app.states.home import HomeState
from tests.e2e.conftest import user_by_email, user_count
from tests.e2e.websocket_client import ReflexClient, run

pytestmark = pytest.mark.e2e

MALLORY = {"full_name": "Mallory", "email": "mallory@example.org", "role": "admin", "password": "mallory-pass-2026"}


def test_anonymous_client_calling_staff_handlers_changes_nothing_and_gets_no_data(app_url, e2e_database_url):
    admin = user_by_email(e2e_database_url, "admin@example.com")
    users_before = user_count(e2e_database_url)

    async def scenario() -> ReflexClient:
        async with ReflexClient(app_url) as client:
            await client.emit(AdminUsersState, "create_user", routes.ADMIN_USERS, form_data=MALLORY)
            await client.emit(AdminUsersState, "load", routes.ADMIN_USERS)
            await client.emit(AdminUsersState, "set_active", routes.ADMIN_USERS, user_id=admin.id, active=False)
            await client.emit(HomeState, "load", routes.HOME)
            await client.wait_for(lambda: len(client.redirects()) == 4)
            return client

    client = run(scenario)

    assert sorted(client.redirects()) == ["/login", "/login?next=/admin/users", "/login?next=/admin/users",
                                          "/login?next=/admin/users"]
    assert user_count(e2e_database_url) == users_before
    assert user_by_email(e2e_database_url, MALLORY["email"]) is None
    assert user_by_email(e2e_database_url, "admin@example.com").is_active is True
    wire = json.dumps(client.messages)
    assert "@example.com" not in wire and "@example.org" not in wire
    assert all(users == [] for users in client.values(AdminUsersState, "users"))
    assert all(figures == [] for figures in client.values(HomeState, "figures"))
    assert all(name == "" for name in client.values(AuthState, "user_name"))


def test_signed_in_sales_rep_cannot_manage_users_over_the_websocket(app_url, e2e_database_url):
    admin = user_by_email(e2e_database_url, "admin@example.com")
    rep = user_by_email(e2e_database_url, "rep1@example.com")
    users_before = user_count(e2e_database_url)

    async def scenario() -> tuple[ReflexClient, str]:
        async with ReflexClient(app_url) as client:
            await client.sign_in("rep1@example.com", "demo-rep1-2026")
            signed_in_as = client.values(AuthState, "user_name")[-1]
            client.messages.clear()
            await client.emit(AdminUsersState, "create_user", routes.ADMIN_USERS, form_data=MALLORY)
            await client.emit(AdminUsersState, "set_active", routes.ADMIN_USERS, user_id=admin.id, active=False)
            await client.emit(AdminUsersState, "set_role", routes.ADMIN_USERS, user_id=rep.id, role="admin")
            await client.emit(AdminUsersState, "load", routes.ADMIN_USERS)
            await client.emit(HomeState, "load", routes.HOME)
            await client.wait_for(lambda: len(client.redirects()) == 4 and client.values(HomeState, "scope"))
            return client, signed_in_as

    client, signed_in_as = run(scenario)

    assert signed_in_as == rep.full_name
    assert client.redirects() == ["/", "/", "/", "/"]
    toasts = client.toasts()
    assert len(toasts) == 4 and all(json.dumps(FORBIDDEN) in toast for toast in toasts)
    assert user_count(e2e_database_url) == users_before
    assert user_by_email(e2e_database_url, MALLORY["email"]) is None
    assert user_by_email(e2e_database_url, "admin@example.com").is_active is True
    assert user_by_email(e2e_database_url, "rep1@example.com").role == "sales_rep"
    assert "@example.com" not in json.dumps(client.messages)
    assert all(users == [] for users in client.values(AdminUsersState, "users"))
    # The rep still gets their own home page: the refusals are about role, not a broken session.
    assert client.values(HomeState, "scope") == ["Your book of business"]
