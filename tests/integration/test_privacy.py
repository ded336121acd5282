"""Privacy requests: an admin exports everything held about a customer, or erases the person everywhere while
every figure (revenue, scores) stays the same. Nobody else may do either."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session, SQLModel, func, select

from crm_app.data.repositories.timeline import ActivityDraft, log_activity
from crm_app.cli import main
from crm_app.data.models import (
    Activity, AuditLog, Campaign, CampaignTarget, Customer, CustomerCreate, CustomerUpdate, Deal, Feedback,
    FeedbackChannel, FeedbackSubmission, Order, OrderLine, Product, Role, User,
)
from crm_app.data.permissions import PermissionDenied
from crm_app.data.repositories import customers
from crm_app.data.repositories.feedback import add_note, issue_invite, submit_feedback
from crm_app.data.erasing import FREE_TEXT, erase_customer
from crm_app.data.repositories.privacy import export_as_json, export_customer_data
from crm_app.data.repositories.saved_views import save_view
from crm_app.data.repositories.users import actor_of
from crm_app.domain import OrderStatus, SalesChannel
from crm_app.settings import get_settings

NAME, EMAIL, PHONE, COMPANY = "Zelda Quixote-Marsh", "zelda.qm@privacy-test.example", "+442079460958", "Quixotic Ltd"
SHOUTED_EMAIL = "ZELDA.QM@privacy-test.example"  # the same address typed another way on the public survey


def _actor(session: Session, email: str):
    return actor_of(session.exec(select(User).where(User.email == email)).one())


@pytest.fixture
def zelda(engine) -> int:
    """A customer with a history in every table that can hold something about her, written through the app."""
    with Session(engine) as session:
        _another_company(session)
        admin = _actor(session, "admin@example.com")
        rep = _actor(session, "rep1@example.com")
        created = customers.create_customer(session=session, actor=rep, customer_create=CustomerCreate(
            name=NAME, email=EMAIL, phone="+442079460001", company=COMPANY, region="EMEA", segment="SMB",
            acquisition_channel="event", consent_email=True))
        session.commit()
        customer_id = created.id
        customers.update_customer(session=session, actor=rep, customer_id=customer_id, customer_update=CustomerUpdate(
            name=NAME, email=EMAIL, phone=PHONE, company=COMPANY, region="EMEA", segment="SMB",
            acquisition_channel="event", consent_email=True))
        product = session.exec(select(Product)).first()
        order = Order(customer_id=customer_id, channel=SalesChannel.online, status=OrderStatus.paid,
                      ordered_at=datetime(2026, 10, 3, tzinfo=UTC), total_amount=240)
        session.add(order)
        session.flush()
        session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=2, unit_price=120))
        session.add(Deal(title=f"{COMPANY} renewal", customer_id=customer_id, owner_id=rep.id, amount=5000))
        campaign = session.exec(select(Campaign)).first()
        session.add(CampaignTarget(campaign_id=campaign.id, customer_id=customer_id, attributed_revenue=80))
        token = issue_invite(session=session, customer_id=customer_id, issued_by_id=rep.id)
        answered = submit_feedback(session=session, channel=FeedbackChannel.web, submission=FeedbackSubmission(
            csat=2, nps=3, comment=f"I am {NAME}, call me on {PHONE}", name=NAME, email=EMAIL, consent=True,
            submission_id="zelda-linked-1", invite=token))
        submit_feedback(session=session, channel=FeedbackChannel.api, submission=FeedbackSubmission(
            csat=5, nps=9, comment="Anonymous, but with my address", email=SHOUTED_EMAIL, consent=True,
            submission_id="zelda-anon-01"))
        add_note(session=session, actor=admin, feedback_id=answered.id, body=f"Rang {NAME} back")
        log_activity(session=session, actor=rep, customer_id=customer_id, now=datetime(2026, 10, 4, tzinfo=UTC),
                     draft=ActivityDraft(kind="call", body=f"Called {NAME} on {PHONE}"))
        session.add(AuditLog(actor_id=admin.id, entity="import", entity_id=1, action="import",
                             new_values={"rows": [{"email": EMAIL, "name": NAME}]}))
        save_view(session=session, actor=rep, page="/customers", name=f"Follow up {NAME}",
                  filters={"q": NAME, "region": "EMEA"})
        session.commit()
    return customer_id


def _another_company(session: Session) -> None:
    """Staff, a catalogue, a campaign and a second customer with an order of its own."""
    for email, role in (("admin@example.com", Role.admin), ("exec@example.com", Role.executive),
                        ("rep1@example.com", Role.sales_rep)):
        session.add(User(email=email, full_name=email.split("@")[0].title(), role=role, password_hash="x"))
    session.add(Product(sku="LAP-1", name="Laptop", category="Hardware", list_price=120, unit_cost=80))
    session.add(Campaign(name="Autumn mailing", channel="email", start_date=date(2026, 9, 1),
                         end_date=date(2026, 9, 30), cost=500))
    other = Customer(name="Ada Lovelace", email="ada@example.org", region="EMEA", segment="SMB",
                     acquisition_channel="event", company=COMPANY)
    session.add(other)
    session.flush()
    session.add(Order(customer_id=other.id, channel=SalesChannel.store, status=OrderStatus.shipped,
                      ordered_at=datetime(2026, 9, 9, tzinfo=UTC), total_amount=99.5))
    session.flush()


def _figures(engine) -> tuple:
    with Session(engine) as session:
        return (
            session.exec(select(func.count(), func.sum(Order.total_amount))).one(),
            session.exec(select(func.count(), func.sum(Feedback.nps), func.sum(Feedback.csat))).one(),
            session.exec(select(func.count(), func.sum(Deal.amount))).one(),
            session.exec(select(func.sum(CampaignTarget.attributed_revenue))).one(),
        )


def _places_holding(engine, text: str) -> list[str]:
    """Every table.column among the text and JSON columns of the whole schema that contains `text`."""
    found = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(getattr(column.type, "impl", column.type), (sa.String, sa.JSON)):  # AutoString too
                    continue
                holds = sa.func.lower(sa.cast(column, sa.Text)).contains(text.lower(), autoescape=True)
                if connection.execute(sa.select(func.count()).select_from(table).where(holds)).scalar_one():
                    found.append(f"{table.name}.{column.name}")
    return found


def test_erase_leaves_no_trace_of_the_person_and_every_figure_unchanged(engine, zelda):
    before = _figures(engine)
    assert _places_holding(engine, EMAIL) and _places_holding(engine, NAME) and _places_holding(engine, PHONE)

    with Session(engine) as session:
        erasure = erase_customer(session=session, actor=_actor(session, "admin@example.com"), customer_id=zelda)
        session.commit()

    for personal in (EMAIL, NAME, PHONE, "+442079460001"):
        assert _places_holding(engine, personal) == [], personal
    assert _places_holding(engine, COMPANY) == ["customer.company"]  # her colleague Ada's, which stays
    assert _figures(engine) == before
    with Session(engine) as session:
        customer = session.get(Customer, zelda)
        assert (customer.name, customer.email, customer.phone, customer.company) == (
            f"Erased customer {zelda}", None, None, None)
        assert (customer.region, customer.segment, customer.consent_email) == ("EMEA", "SMB", False)
        assert session.exec(select(Deal.title).where(Deal.customer_id == zelda)).one() == "[erased] renewal"
        erase_entry = session.exec(select(AuditLog).where(AuditLog.action == "erase")).one()
    # Two answers (linked, and anonymous with her email), one note, the deal and the call-back task; the audit rows
    # that held her details: the customer's create and update, the import naming her, and the call logged about her.
    assert erasure.counts == {"feedback_answers": 2, "feedback_notes": 1, "deals": 1, "tasks": 1, "audit_entries": 4,
                              "model_results": 0, "logged_activities": 1, "webhook_events": 0,
                              "emails": 0, "saved_views": 1, "api_replies": 0}
    assert (erase_entry.entity, erase_entry.entity_id, erase_entry.new_values) == ("customer", zelda, erasure.counts)


def test_export_holds_everything_about_the_customer_and_is_audited(engine, zelda):
    with Session(engine) as session:
        export = export_customer_data(session=session, actor=_actor(session, "admin@example.com"), customer_id=zelda)
        session.commit()
        exported_entries = session.exec(select(AuditLog).where(AuditLog.action == "privacy_export")).all()

    document = json.loads(export_as_json(export))
    assert (document["customer"]["name"], document["customer"]["email"]) == (NAME, EMAIL)
    assert [(o["total_amount"], len(o["lines"])) for o in document["orders"]] == [(240.0, 1)]
    assert [d["title"] for d in document["deals"]] == [f"{COMPANY} renewal"]
    assert len(document["tasks"]) == 1  # the call-back task the detractor's answer created
    assert [entry["body"] for entry in document["logged_activities"]] == [f"Called {NAME} on {PHONE}"]
    assert sorted(f["respondent_email"] for f in document["feedback"]) == sorted([EMAIL, SHOUTED_EMAIL])
    assert [n["body"] for f in document["feedback"] for n in f["notes"]] == [f"Rang {NAME} back"]
    assert len(document["survey_links"]) == 1 and document["survey_links"][0]["nonce"] is None
    assert [c["attributed_revenue"] for c in document["campaigns"]] == [80.0]
    assert [(e["entity"], e["action"]) for e in document["audit_entries"]] == [
        ("customer", "create"), ("customer", "update"), ("feedback", "submit"), ("feedback", "submit"),
        ("feedback", "note"), ("logged_activity", "create")]
    assert [(e.entity_id, e.old_values, e.new_values) for e in exported_entries] == [(zelda, None, None)]


@pytest.mark.parametrize("email", ["exec@example.com", "rep1@example.com"])
def test_only_admins_export_or_erase(engine, zelda, email):
    before = _places_holding(engine, EMAIL)
    with Session(engine) as session:
        actor = _actor(session, email)
        with pytest.raises(PermissionDenied):
            export_customer_data(session=session, actor=actor, customer_id=zelda)
        with pytest.raises(PermissionDenied):
            erase_customer(session=session, actor=actor, customer_id=zelda)
    assert _places_holding(engine, EMAIL) == before


def test_cli_exports_json_and_erases_only_when_confirmed(engine, zelda, monkeypatch):
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()

    exported = runner.invoke(main, ["privacy", "export", str(zelda)])
    unconfirmed = runner.invoke(main, ["privacy", "erase", str(zelda)], input="n\n")
    missing = runner.invoke(main, ["privacy", "erase", "999999", "--yes"])
    erased = runner.invoke(main, ["privacy", "erase", str(zelda), "--yes"])

    assert exported.exit_code == 0 and json.loads(exported.output)["customer"]["email"] == EMAIL
    assert unconfirmed.exit_code == 1 and "Aborted" in unconfirmed.output
    assert missing.exit_code == 1 and "No such customer." in missing.output
    assert erased.exit_code == 0 and erased.output.startswith(f"Customer {zelda} erased: 2 feedback answers, ")
    with Session(engine) as session:
        assert session.get(Customer, zelda).email is None
        assert session.exec(select(func.count()).select_from(Activity).where(Activity.customer_id == zelda)).one() == 1


# Text columns an erase does not search for the person: codes, the app's own labels, secrets, staff and their
# sign-in log, and other customers' own identities (the customer's own row is anonymised field by field).
NOT_FREE_TEXT = {
    "app_user.email", "app_user.full_name", "app_user.password_hash", "app_user.role", "auth_session.token_hash",
    "customer.external_ref", "customer.name", "customer.email", "customer.phone", "customer.company",
    "customer.region", "customer.segment", "customer.acquisition_channel", "product.sku", "product.name",
    "product.category", "sales_order.external_ref", "sales_order.channel", "sales_order.status", "deal.stage",
    "activity.kind", "feedback.channel", "feedback.status", "feedback.client_submission_id",
    "feedback.respondent_email", "feedback_invite.nonce", "model_run.model", "campaign.name", "campaign.channel",
    "kpi_target.kpi", "kpi_target.scope", "kpi_target.scope_value", "audit_log.entity", "audit_log.action",
    "metric_sample.kind", "metric_sample.name",
    "metric_sample.module", "metric_sample.role", "two_factor.secret", "recovery_code.code_hash", "role_policy.role",
    "sign_in_attempt.email", "sign_in_attempt.client", "sign_in_attempt.outcome",
    "logged_activity.kind", "logged_activity.outcome", "app_user.time_zone", "app_user.language", "saved_view.page", "audit_log.batch_id",
    "webhook_endpoint.url", "webhook_endpoint.secret", "webhook_endpoint.events", "webhook_delivery.event_id",
    "webhook_delivery.event_type", "webhook_delivery.status", "webhook_delivery.claim", "webhook_delivery.last_error",
    "mail_outbox.purpose_key", "mail_outbox.headers", "mail_outbox.status", "mail_outbox.claim_token",
    "mail_outbox.last_error", "password_reset.token_hash", "campaign.status", "campaign.offer",
    "campaign.email_subject", "campaign.email_body", "campaign_target.target_group", "api_token.name",
    "api_token.token_hash", "idempotent_request.key", "idempotent_request.fingerprint", "idempotent_request.location",
}


def test_every_text_column_is_either_searched_by_the_erase_or_known_not_to_hold_free_text():
    searched = {f"{model.__tablename__}.{column}" for model, (_, columns) in FREE_TEXT.items() for column in columns}
    text_columns = {f"{table.name}.{column.name}" for table in SQLModel.metadata.sorted_tables
                    for column in table.columns
                    if isinstance(getattr(column.type, "impl", column.type), (sa.String, sa.JSON))}
    assert (text_columns - NOT_FREE_TEXT, NOT_FREE_TEXT - text_columns) == (searched, set())
