"""Contract tests generated from the API's own OpenAPI document (schemathesis): every operation, called with data
generated from its schema as a sales rep and as an admin, answers no 5xx, only documented status codes and
content types, and bodies and headers that match their schemas. The survey and health routes are included."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)
from sqlmodel import Session

from crm_app import rate_limit
from crm_app.api import api
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Deal, Product
from crm_app.data.repositories.api_tokens import create_token
from crm_app.data.repositories.users import actor_of
from crm_app.settings import get_settings
from tests.conftest import add_staff, migrate

schema = schemathesis.openapi.from_asgi("/api/openapi.json", api)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def tokens(tmp_path_factory):
    """A migrated SQLite database with staff, a few records and a read-write token for each role."""
    url = f"sqlite:///{tmp_path_factory.mktemp('contract') / 'crm.sqlite3'}"
    migrate(url)
    with pytest.MonkeyPatch.context() as patch:
        settings_ = get_settings()
        patch.setattr(settings_, "database_url", url)
        patch.setattr(settings_, "redis_url", None)
        patch.setattr(settings_, "api_token_rate_limit", "1000000/minute")
        patch.setattr(settings_, "feedback_rate_limit", "1000000/minute")
        rate_limit._limiter.cache_clear()
        with Session(engine_for(url)) as session:
            staff = add_staff(session)
            for owner in (staff["rep"], staff["other"]):
                customer = Customer(name=f"{owner.full_name}'s customer", region="EMEA", segment="SMB",
                                    acquisition_channel="event", owner_id=owner.id)
                session.add(customer)
                session.flush()
                session.add(Deal(title="Deal", customer_id=customer.id, owner_id=owner.id, amount=100))
            session.add(Product(sku="SKU-1", name="Widget", category="Tools", list_price=10))
            secrets = {role: create_token(session=session, actor=actor_of(staff[role]), name="contract",
                                          can_write=True).secret for role in ("rep", "admin")}
            session.commit()
        yield secrets
        rate_limit._limiter.cache_clear()


@pytest.mark.parametrize("role", ["rep", "admin"])
@schema.parametrize()
@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_every_answer_matches_the_document(case, role, tokens):
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"}, checks=CHECKS)
