"""Personal access tokens in Chromium: a rep creates a read-only token on their account page (a missing name is
refused inline), sees its secret once, calls the served API with it, revokes it and is refused from then on; an
admin sees another user's token on the users page and revokes it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from crm_app.data.db import engine_for
from crm_app.data.models import ApiToken, User
from crm_app.data.repositories.api_tokens import create_token
from crm_app.data.repositories.users import actor_of
from crm_app.formatting import moment
from tests.e2e.conftest import open_page, sign_in, writing

pytestmark = pytest.mark.e2e

REP_TOKEN = "Shop sync (e2e tokens)"
REP2_TOKEN = "Mail tool (e2e tokens)"


def _customers(app_url: str, secret: str) -> int:
    return httpx.get(f"{app_url}/api/v1/customers", headers={"Authorization": f"Bearer {secret}"},
                     timeout=60).status_code


def test_a_rep_creates_a_read_token_sees_it_once_uses_it_and_revokes_it(new_context, app_url, e2e_database_url):
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{app_url}/account")
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()

    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("error-name")).to_have_text("Name the token after what will use it, like 'shop sync'.")
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_label("Token name (what will use it)").fill(REP_TOKEN)
    page.locator("#field-days").click()
    page.get_by_role("option", name="30 days").click()
    page.get_by_role("button", name="Create token").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Your new token “{REP_TOKEN}”")
    expect(dialog).to_contain_text("You will not see it again")
    expect(dialog.get_by_role("button", name="Copy")).to_be_visible()
    secret = dialog.get_by_test_id("new-token-secret").inner_text().strip()
    assert secret.startswith("crm_pat_")
    dialog.get_by_role("button", name="I have copied it").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_test_id("new-token-secret")).to_have_count(0)  # shown once only
    expect(page.get_by_test_id("error-name")).to_have_count(0)

    with Session(engine_for(e2e_database_url)) as session:
        token, zone = session.exec(select(ApiToken, User.time_zone).join(User, User.id == ApiToken.user_id)
                                   .where(ApiToken.name == REP_TOKEN)).one()
    assert (token.can_write, token.expires_at - token.created_at) == (False, timedelta(days=30))
    row = page.get_by_test_id("own-token-row").filter(has_text=REP_TOKEN)
    for text in ("Read only", moment(token.created_at, zone), moment(token.expires_at, zone), "Never", "Active"):
        expect(row).to_contain_text(text)

    assert _customers(app_url, secret) == 200
    open_page(page, f"{app_url}/account")  # the list shows the use
    expect(row).not_to_contain_text("Never")

    row.get_by_role("button", name=f"Revoke the token {REP_TOKEN}").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("stops working at once")
    confirm.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name=f"Revoke the token {REP_TOKEN}")).to_have_count(0)
    assert _customers(app_url, secret) == 401


def test_an_admin_sees_and_revokes_another_users_token(new_context, app_url, e2e_database_url):
    with writing(e2e_database_url) as session:
        rep2 = session.exec(select(User).where(User.email == "rep2@example.com")).one()
        secret = create_token(session=session, actor=actor_of(rep2), name=REP2_TOKEN, can_write=True, days=90).secret
        rep2_name = rep2.full_name
        session.commit()
    assert _customers(app_url, secret) == 200

    page = new_context().new_page()
    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    open_page(page, f"{app_url}/admin/users")
    row = page.get_by_test_id("any-token-row").filter(has_text=REP2_TOKEN)
    for text in (rep2_name, "rep2@example.com", "Read and write", "Active"):
        expect(row).to_contain_text(text)

    row.get_by_role("button", name=f"Revoke the token {REP2_TOKEN} of rep2@example.com").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text(f"{rep2_name}’s token “{REP2_TOKEN}” stops working at once")
    confirm.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Revoked")
    assert _customers(app_url, secret) == 401
