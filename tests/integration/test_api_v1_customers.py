"""The REST API's tokens and /api/v1/customers against a real database (SQLite and PostgreSQL): who may call, what
each token's user sees and changes, ETags, Idempotency-Key, cursors under inserts, the rate limit, the CLI."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from crm_app import rate_limit
from crm_app.cli import main
from crm_app.data.models import ApiToken, AuditLog, Customer, User, utcnow
from crm_app.data.repositories.api_tokens import TOKEN_PREFIX, create_token
from crm_app.data.repositories.users import actor_of
from crm_app.settings import get_settings
from tests.conftest import add_staff, serve_api_on


@pytest.fixture
def client(engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "api_token_rate_limit", "10000/minute")
    yield serve_api_on(monkeypatch, engine.url.render_as_string(hide_password=False))
    rate_limit._limiter.cache_clear()


@pytest.fixture
def staff(engine):
    with Session(engine) as session:
        people = add_staff(session)
        session.commit()
        return {name: session.get(User, user.id) for name, user in people.items()}


def token_for(engine, user: User, *, can_write: bool = True, days: int = 30) -> str:
    with Session(engine) as session:
        secret = create_token(session=session, actor=actor_of(user), name="test", can_write=can_write, days=days).secret
        session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def add_customers(engine, owner: User, names: list[str]) -> list[int]:
    with Session(engine) as session:
        rows = [Customer(name=name, region="EMEA", segment="SMB", acquisition_channel="event", owner_id=owner.id)
                for name in names]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def table_checksum(engine, model, where) -> str:
    """A digest of every column of the rows matching `where`, in id order."""
    with Session(engine) as session:
        rows = session.exec(select(model).where(where).order_by(model.id)).all()
        return hashlib.sha256(repr([row.model_dump() for row in rows]).encode()).hexdigest()


NEW = {"name": "Acme GmbH", "company": "Acme", "email": "Buyer@Acme.example", "phone": "+44 20 7946 0958",
       "region": "EMEA", "segment": "SMB", "acquisition_channel": "event"}


# --- tokens -----------------------------------------------------------------------------------------------------


def test_requests_without_a_valid_token_are_refused_as_problems(client, engine, staff):
    missing = client.get("/api/v1/customers")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.json()["type"].endswith("/unauthenticated") and missing.json()["status"] == 401
    assert client.get("/api/v1/customers", headers=bearer(TOKEN_PREFIX + "x" * 43)).status_code == 401
    assert client.get("/api/v1/customers", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401


def test_revoked_expired_and_deactivated_users_tokens_stop_working(client, engine, staff):
    revoked, expired, deactivated = (token_for(engine, staff["rep"]), token_for(engine, staff["rep"]),
                                     token_for(engine, staff["other"]))
    for secret in (revoked, expired, deactivated):
        assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 200
    with Session(engine) as session:
        tokens = {t.token_hash: t for t in session.exec(select(ApiToken))}
        tokens[hashlib.sha256(revoked.encode()).hexdigest()].revoked_at = utcnow()
        tokens[hashlib.sha256(expired.encode()).hexdigest()].expires_at = utcnow() - timedelta(seconds=1)
        session.get(User, staff["other"].id).is_active = False
        session.commit()
    for secret in (revoked, expired, deactivated):
        assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 401


def test_a_read_only_token_reads_but_writes_nothing(client, engine, staff):
    secret = token_for(engine, staff["rep"], can_write=False)
    [own] = add_customers(engine, staff["rep"], ["Mine"])
    assert client.get(f"/api/v1/customers/{own}", headers=bearer(secret)).status_code == 200
    before = table_checksum(engine, Customer, Customer.id > 0)
    refused = [client.post("/api/v1/customers", json=NEW, headers=bearer(secret)),
               client.patch(f"/api/v1/customers/{own}", json={"name": "Changed"}, headers=bearer(secret)),
               client.delete(f"/api/v1/customers/{own}", headers=bearer(secret))]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert refused[0].json()["detail"] == "This token is read-only; create a read-write token to make changes."
    assert table_checksum(engine, Customer, Customer.id > 0) == before


def test_using_a_token_notes_when_it_was_last_used(client, engine, staff):
    secret = token_for(engine, staff["rep"])
    with Session(engine) as session:
        assert session.exec(select(ApiToken.last_used_at)).one() is None
    client.get("/api/v1/customers", headers=bearer(secret))
    with Session(engine) as session:
        assert session.exec(select(ApiToken.last_used_at)).one() is not None


def test_the_rate_limit_answers_429_with_retry_after(client, engine, staff, monkeypatch):
    monkeypatch.setattr(get_settings(), "api_token_rate_limit", "3/minute")
    rate_limit._rule.cache_clear()
    secret, other = token_for(engine, staff["rep"]), token_for(engine, staff["rep"])
    answers = [client.get("/api/v1/customers", headers=bearer(secret)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/api/v1/customers", headers=bearer(secret))
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["type"].endswith("/rate_limited")
    # The limit is per token: another token of the same user is not held back.
    assert client.get("/api/v1/customers", headers=bearer(other)).status_code == 200


def test_the_cli_prints_a_working_token_once_and_revokes_it(client, engine, staff, monkeypatch):
    runner = CliRunner()
    created = runner.invoke(main, ["api-token", "create", "--user", "REP@example.com", "--write", "--days", "7",
                                   "--name", "shop sync"], catch_exceptions=False)
    assert created.exit_code == 0
    secret = created.stdout.strip()
    assert secret.startswith(TOKEN_PREFIX) and len(secret) == len(TOKEN_PREFIX) + 43
    with Session(engine) as session:
        token = session.exec(select(ApiToken)).one()
    assert (token.name, token.can_write, token.user_id) == ("shop sync", True, staff["rep"].id)
    assert secret not in repr(token.model_dump())
    assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 200
    revoked = runner.invoke(main, ["api-token", "revoke", str(token.id)], catch_exceptions=False)
    assert (revoked.exit_code, revoked.output) == (0, f"Token {token.id} revoked.\n")
    assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 401
    unknown = runner.invoke(main, ["api-token", "create", "--user", "nobody@example.com"])
    assert unknown.exit_code == 1 and "--user must name an active user." in unknown.output


# --- customers --------------------------------------------------------------------------------------------------


def test_a_rep_lists_only_their_own_book_and_an_admin_everybodys(client, engine, staff):
    mine = add_customers(engine, staff["rep"], ["Anna", "Bert"])
    theirs = add_customers(engine, staff["other"], ["Carl"])
    rep = client.get("/api/v1/customers", headers=bearer(token_for(engine, staff["rep"])))
    admin = client.get("/api/v1/customers", headers=bearer(token_for(engine, staff["admin"])))
    assert [row["id"] for row in rep.json()["data"]] == mine
    assert [row["id"] for row in admin.json()["data"]] == mine + theirs
    assert rep.json()["next_cursor"] is None


def test_filters_and_sort(client, engine, staff):
    ids = add_customers(engine, staff["rep"], ["Bravo", "alpha", "Charlie"])
    headers = bearer(token_for(engine, staff["rep"]))
    by_name = client.get("/api/v1/customers", params={"sort": "-name"}, headers=headers).json()["data"]
    assert [row["name"] for row in by_name] == ["alpha", "Charlie", "Bravo"]  # binary order, descending
    found = client.get("/api/v1/customers", params={"q": "charl"}, headers=headers).json()["data"]
    assert [row["id"] for row in found] == [ids[2]]
    bad = client.get("/api/v1/customers", params={"sort": "password"}, headers=headers)
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"sort"}


def test_cursor_pages_skip_and_repeat_nothing_while_rows_are_added(client, engine, staff):
    names = [f"Customer {n:02d}" for n in range(0, 40, 2)]
    before = dict(zip(add_customers(engine, staff["rep"], names), names))
    headers = bearer(token_for(engine, staff["rep"]))
    for sort in ("id", "-id", "name", "-name", "updated_at", "-updated_at"):
        seen, cursor, added = [], None, 0
        while True:
            page = client.get("/api/v1/customers", params={"limit": 3, "sort": sort, **({"cursor": cursor} if cursor
                                                                                       else {})}, headers=headers)
            assert page.status_code == 200
            seen += [row["id"] for row in page.json()["data"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
            if added < 4:  # someone adds customers that sort before, between and after the rows already read
                add_customers(engine, staff["rep"], [f"Customer {added:02d}1", "Aaron", "Zed"])
                added += 1
        assert len(seen) == len(set(seen))
        assert set(before) <= set(seen)


def test_a_bad_cursor_is_a_400_problem(client, engine, staff):
    add_customers(engine, staff["rep"], ["A", "B", "C"])
    headers = bearer(token_for(engine, staff["rep"]))
    cursor = client.get("/api/v1/customers", params={"limit": 1}, headers=headers).json()["next_cursor"]
    for bad in ("not-a-cursor", cursor[:-3], cursor):
        answer = client.get("/api/v1/customers", params={"cursor": bad, "sort": "name"}, headers=headers)
        assert answer.status_code == 400 and answer.json()["type"].endswith("/bad_cursor")


def test_creating_a_customer_answers_201_with_location_and_etag_and_audits_the_user(client, engine, staff):
    headers = bearer(token_for(engine, staff["rep"]))
    created = client.post("/api/v1/customers", json=NEW, headers=headers)
    assert created.status_code == 201
    body = created.json()
    assert (body["email"], body["phone"], body["owner_id"]) == ("buyer@acme.example", "+442079460958", staff["rep"].id)
    assert created.headers["location"] == f"/api/v1/customers/{body['id']}"
    read = client.get(created.headers["location"], headers=headers)
    assert read.json() == body and read.headers["etag"] == created.headers["etag"]
    with Session(engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.entity == "customer")).one()
    assert (audit.actor_id, audit.entity_id, audit.action) == (staff["rep"].id, body["id"], "create")


def test_invalid_input_names_each_field_and_stores_nothing(client, engine, staff):
    headers = bearer(token_for(engine, staff["rep"]))
    answer = client.post("/api/v1/customers", json=NEW | {"name": "  ", "region": "Mars", "phone": "12"},
                         headers=headers)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"] == {
        "name": "Enter the customer's name.",
        "phone": "Enter the number with its country code, like +44 20 7946 0958.",
        "region": "Choose one of: " + ", ".join(__import__("crm_app.domain", fromlist=["REGIONS"]).REGIONS) + ".",
    }
    not_json = client.post("/api/v1/customers", content=b"{", headers=headers | {"Content-Type": "application/json"})
    assert not_json.status_code in (400, 422) and not_json.headers["content-type"] == "application/problem+json"
    with Session(engine) as session:
        assert session.exec(select(Customer)).all() == []


def test_an_idempotency_key_resend_gets_the_first_answer_and_adds_nothing(client, engine, staff):
    headers = bearer(token_for(engine, staff["rep"])) | {"Idempotency-Key": "order-sync-42"}
    first = client.post("/api/v1/customers", json=NEW, headers=headers)
    again = client.post("/api/v1/customers", json=NEW, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    other = client.post("/api/v1/customers", json=NEW | {"name": "Other"}, headers=headers)
    assert other.status_code == 409 and other.json()["type"].endswith("/idempotency_key_reused")
    # Keys are per user: another user's same key is another request.
    admin = client.post("/api/v1/customers", json=NEW, headers=bearer(token_for(engine, staff["admin"]))
                        | {"Idempotency-Key": "order-sync-42"})
    assert admin.status_code == 201 and admin.json()["id"] != first.json()["id"]
    with Session(engine) as session:
        assert len(session.exec(select(Customer)).all()) == 2


def test_if_match_refuses_a_change_to_a_record_changed_since_it_was_read(client, engine, staff):
    headers = bearer(token_for(engine, staff["rep"]))
    [own] = add_customers(engine, staff["rep"], ["Old name"])
    etag = client.get(f"/api/v1/customers/{own}", headers=headers).headers["etag"]
    changed = client.patch(f"/api/v1/customers/{own}", json={"company": "New Co"}, headers=headers | {"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["company"] == "New Co" and changed.json()["name"] == "Old name"
    assert changed.headers["etag"] != etag
    stale = client.patch(f"/api/v1/customers/{own}", json={"name": "Lost update"}, headers=headers | {"If-Match": etag})
    assert stale.status_code == 412 and stale.headers["etag"] == changed.headers["etag"]
    weak = client.patch(f"/api/v1/customers/{own}", json={"name": "Weak"},
                        headers=headers | {"If-Match": "W/" + changed.headers["etag"]})
    assert weak.status_code == 412
    gone = client.delete(f"/api/v1/customers/{own}", headers=headers | {"If-Match": etag})
    assert gone.status_code == 412
    assert client.get(f"/api/v1/customers/{own}", headers=headers).json()["name"] == "Old name"
    deleted = client.delete(f"/api/v1/customers/{own}", headers=headers | {"If-Match": changed.headers["etag"]})
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/customers/{own}", headers=headers).status_code == 404


def test_a_patch_validates_the_merged_record_and_a_null_empties_a_field(client, engine, staff):
    headers = bearer(token_for(engine, staff["rep"]))
    own = client.post("/api/v1/customers", json=NEW, headers=headers).json()["id"]
    emptied = client.patch(f"/api/v1/customers/{own}", json={"company": None}, headers=headers)
    assert emptied.status_code == 200 and emptied.json()["company"] is None
    refused = client.patch(f"/api/v1/customers/{own}", json={"email": "nope", "segment": "Huge"}, headers=headers)
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"email", "segment"}
    handed = client.patch(f"/api/v1/customers/{own}", json={"owner_id": staff["other"].id}, headers=headers)
    assert handed.status_code == 403
    assert client.get(f"/api/v1/customers/{own}", headers=headers).json()["owner_id"] == staff["rep"].id


def test_a_customer_with_history_is_not_deleted(client, engine, staff):
    from crm_app.data.models import Deal

    headers = bearer(token_for(engine, staff["rep"]))
    [own] = add_customers(engine, staff["rep"], ["Has deal"])
    with Session(engine) as session:
        session.add(Deal(title="D", customer_id=own, owner_id=staff["rep"].id, amount=10))
        session.commit()
    refused = client.delete(f"/api/v1/customers/{own}", headers=headers)
    assert refused.status_code == 409 and refused.json()["type"].endswith("/has_history")


def test_a_reps_token_never_reads_or_writes_another_reps_customers(client, engine, staff):
    theirs = add_customers(engine, staff["other"], ["Theirs 1", "Theirs 2"])
    headers = bearer(token_for(engine, staff["rep"]))
    before = table_checksum(engine, Customer, Customer.owner_id == staff["other"].id)
    answers = [client.get(f"/api/v1/customers/{theirs[0]}", headers=headers),
               client.patch(f"/api/v1/customers/{theirs[0]}", json={"name": "Mine now"}, headers=headers),
               client.delete(f"/api/v1/customers/{theirs[1]}", headers=headers),
               client.get("/api/v1/customers", params={"owner_id": staff["other"].id}, headers=headers)]
    assert [a.status_code for a in answers] == [404, 404, 404, 200]
    assert answers[-1].json()["data"] == []
    assert table_checksum(engine, Customer, Customer.owner_id == staff["other"].id) == before


def test_an_executive_reads_every_customer_and_changes_none(client, engine, staff):
    [theirs] = add_customers(engine, staff["other"], ["Theirs"])
    headers = bearer(token_for(engine, staff["exec"]))
    assert client.get(f"/api/v1/customers/{theirs}", headers=headers).status_code == 200
    assert client.post("/api/v1/customers", json=NEW, headers=headers).status_code == 403
    assert client.patch(f"/api/v1/customers/{theirs}", json={"name": "X"}, headers=headers).status_code == 403
