"""Adding, editing, merging and deleting customers: ownership rules, duplicates, and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, SQLModel, func, select

from crm_app.data.db import write_session
from crm_app.data.models import (
    Activity, ActivityKind, AuditLog, Campaign, CampaignTarget, Customer, CustomerCreate, CustomerUpdate, Deal,
    Feedback, FeedbackInvite, MailMessage, Order, Role, User,
)
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import customers
from crm_app.data.repositories.users import actor_of
from crm_app.domain import SalesChannel
from crm_app.settings import get_settings

ADA = {"name": "Ada Lovelace", "company": "Analytical Engines Ltd", "email": "Ada@Engines.example.com",
       "phone": "+44 20 7946 0958", "region": "EMEA", "segment": "SMB", "acquisition_channel": "event"}


def _form(**changes) -> dict:
    return {**ADA, **changes}


@pytest.fixture
def people(engine):
    with Session(engine) as session:
        users = {name: User(email=f"{name}@example.com", full_name=name.title(), role=role, password_hash="x")
                 for name, role in [("admin", Role.admin), ("exec", Role.executive), ("rep", Role.sales_rep),
                                    ("other", Role.sales_rep)]}
        session.add_all(users.values())
        session.commit()
        return {name: actor_of(user) for name, user in users.items()}


@pytest.fixture
def in_app(engine, monkeypatch):
    """write_session and read_session open the test database, as the running app would."""
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))


def _add(engine, actor, **changes) -> int:
    with Session(engine) as session:
        customer = customers.create_customer(session=session, actor=actor,
                                             customer_create=CustomerCreate.model_validate(_form(**changes)))
        session.commit()
        return customer.id


def _audit(engine, customer_id: int) -> list[tuple[str, dict | None, dict | None]]:
    with Session(engine) as session:
        return [(a.action, a.old_values, a.new_values) for a in session.exec(
            select(AuditLog).where(AuditLog.entity == "customer", AuditLog.entity_id == customer_id)
            .order_by(AuditLog.id))]


def _count(engine, model, **where) -> int:
    with Session(engine) as session:
        statement = select(func.count()).select_from(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return session.exec(statement).one()


def test_a_rep_adds_a_customer_they_own_stored_normalised_and_audited(engine, people):
    customer_id = _add(engine, people["rep"])
    with Session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert (customer.email, customer.phone, customer.owner_id) == (
            "ada@engines.example.com", "+442079460958", people["rep"].id)
    [(action, old, new)] = _audit(engine, customer_id)
    assert (action, old) == ("create", None)
    assert new == {"name": "Ada Lovelace", "company": "Analytical Engines Ltd", "email": "ada@engines.example.com",
                   "phone": "+442079460958", "region": "EMEA", "segment": "SMB", "acquisition_channel": "event",
                   "owner_id": people["rep"].id, "consent_email": False, "consent_phone": False,
                   "external_ref": None}


def test_an_update_audits_only_the_fields_that_changed(engine, people):
    customer_id = _add(engine, people["rep"])
    with Session(engine) as session:
        customers.update_customer(session=session, actor=people["rep"], customer_id=customer_id,
                                  customer_update=CustomerUpdate.model_validate(_form(segment="Enterprise")))
        customers.update_customer(session=session, actor=people["rep"], customer_id=customer_id,
                                  customer_update=CustomerUpdate.model_validate(_form(segment="Enterprise")))
        session.commit()
    assert _audit(engine, customer_id)[1:] == [("update", {"segment": "SMB"}, {"segment": "Enterprise"})]


def test_a_rep_cannot_hand_a_customer_to_another_owner(engine, people):
    rep, other = people["rep"], people["other"]
    with Session(engine) as session, pytest.raises(PermissionDenied):
        customers.create_customer(session=session, actor=rep,
                                  customer_create=CustomerCreate.model_validate(_form(owner_id=other.id)))
    customer_id = _add(engine, rep)
    with Session(engine) as session, pytest.raises(PermissionDenied):
        customers.update_customer(session=session, actor=rep, customer_id=customer_id,
                                  customer_update=CustomerUpdate.model_validate(_form(owner_id=str(other.id))))
    with Session(engine) as session:
        assert session.get(Customer, customer_id).owner_id == rep.id
    assert _count(engine, Customer) == 1
    assert [action for action, _, _ in _audit(engine, customer_id)] == ["create"]


def test_only_an_admin_reassigns_and_only_to_an_active_rep_or_admin(engine, people):
    customer_id = _add(engine, people["rep"])
    with Session(engine) as session:
        customers.update_customer(session=session, actor=people["admin"], customer_id=customer_id,
                                  customer_update=CustomerUpdate.model_validate(_form(owner_id=people["other"].id)))
        session.commit()
    assert _audit(engine, customer_id)[-1] == ("update", {"owner_id": people["rep"].id},
                                               {"owner_id": people["other"].id})
    for refused in (people["exec"].id, 999_999):
        with Session(engine) as session, pytest.raises(customers.OwnerRejected):
            customers.update_customer(session=session, actor=people["admin"], customer_id=customer_id,
                                      customer_update=CustomerUpdate.model_validate(_form(owner_id=refused)))


def test_executives_write_nothing(engine, people):
    rep_customer, second = _add(engine, people["rep"]), _add(engine, people["rep"], name="Ada Byron")
    executive = people["exec"]
    attempts = [
        lambda s: customers.create_customer(session=s, actor=executive,
                                            customer_create=CustomerCreate.model_validate(_form())),
        lambda s: customers.update_customer(session=s, actor=executive, customer_id=rep_customer,
                                            customer_update=CustomerUpdate.model_validate(_form(name="X"))),
        lambda s: customers.merge_customers(session=s, actor=executive, survivor_id=rep_customer,
                                            duplicate_id=second),
        lambda s: customers.delete_customer(session=s, actor=executive, customer_id=second),
    ]
    for attempt in attempts:
        with Session(engine) as session, pytest.raises(PermissionDenied):
            attempt(session)
    assert _count(engine, Customer) == 2
    assert _count(engine, AuditLog) == 2  # the two creations


def test_reps_cannot_edit_merge_or_delete_another_reps_customers(engine, people):
    theirs, mine = _add(engine, people["other"]), _add(engine, people["rep"], name="Ada Byron")
    rep = people["rep"]
    attempts = [
        lambda s: customers.update_customer(session=s, actor=rep, customer_id=theirs,
                                            customer_update=CustomerUpdate.model_validate(_form(name="Mine now"))),
        lambda s: customers.merge_customers(session=s, actor=rep, survivor_id=mine, duplicate_id=theirs),
        lambda s: customers.merge_customers(session=s, actor=rep, survivor_id=theirs, duplicate_id=mine),
        lambda s: customers.delete_customer(session=s, actor=rep, customer_id=theirs),
    ]
    for attempt in attempts:
        with Session(engine) as session, pytest.raises(NotFound):
            attempt(session)
    with Session(engine) as session:
        assert (session.get(Customer, theirs).name, session.get(Customer, theirs).owner_id) == (
            "Ada Lovelace", people["other"].id)
        assert session.get(Customer, mine) is not None


def test_duplicates_are_found_by_email_phone_or_a_close_name_and_company(engine, people):
    rep = people["rep"]
    ada = _add(engine, rep)
    grace = _add(engine, rep, name="Grace Hopper", company="Navy Labs", email=None, phone="+1 202 555 0101")
    _add(engine, rep, name="Adam Smith", company="Analytical Pins", email=None, phone=None)
    theirs = _add(engine, people["other"], name="Ada Lovelace", company="Analytical Engines Ltd", email=None,
                  phone=None)

    def found(**changes):
        details = CustomerCreate.model_validate(_form(**changes))
        return [(c.id, c.reasons) for c in customers.duplicate_candidates(session=Session(engine), actor=rep,
                                                                          details=details)]

    # "ada lovelace analytical engines ltd" against itself without "ltd": 2·31/(35+31) = 93.9 % alike.
    assert found(email=None, phone=None, company="Analytical Engines") == [
        (ada, ("similar name and company (94% alike)",))]
    assert found(name="Someone Else", company=None, email="ADA@engines.example.com", phone=None) == [
        (ada, ("same email",))]
    assert found(name="Someone Else", company=None, email=None, phone="+12025550101") == [(grace, ("same phone",))]
    assert found(name="Lovelace Ada", company="Engines Analytical Ltd", email=None, phone=None) == [
        (ada, ("similar name and company (100% alike)",))]
    assert found(name="Ada Lovelace", company="Babbage & Co", email=None, phone=None) == []
    # The other rep's identical record stays invisible to this rep; an admin sees both.
    admin_found = customers.duplicate_candidates(session=Session(engine), actor=people["admin"],
                                                 details=CustomerCreate.model_validate(_form(email=None, phone=None)))
    assert [c.id for c in admin_found] == [ada, theirs]
    assert found(email=None, phone=None) == [(ada, ("similar name and company (100% alike)",))]


@pytest.fixture
def two_records(engine, people):
    """Ada twice, both the rep's: the survivor without a phone, the duplicate with history of every kind."""
    rep = people["rep"]
    survivor = _add(engine, rep, phone=None)
    duplicate = _add(engine, rep, name="Ada King", email="ada.king@example.com", phone="+1 415 555 2671",
                     consent_phone="on", consent_email="on")
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with Session(engine) as session:
        spring, autumn = (Campaign(name=n, channel="email", start_date=date(2026, 3, 1), end_date=date(2026, 3, 31),
                                   cost=100) for n in ("Spring", "Autumn"))
        session.add_all([spring, autumn])
        session.flush()
        session.get(Customer, duplicate).external_ref = "CRM-000042"
        session.add_all([
            Order(customer_id=duplicate, channel=SalesChannel.online, ordered_at=at, total_amount=120),
            Order(customer_id=duplicate, channel=SalesChannel.store, ordered_at=at, total_amount=80),
            Order(customer_id=survivor, channel=SalesChannel.store, ordered_at=at, total_amount=10),
            Deal(title="Renewal", customer_id=duplicate, owner_id=rep.id, amount=500),
            Activity(kind=ActivityKind.call, subject="Call back", customer_id=duplicate, owner_id=rep.id),
            Feedback(csat=4, nps=9, customer_id=duplicate),
            FeedbackInvite(customer_id=duplicate, nonce="n" * 32),
            CampaignTarget(campaign_id=spring.id, customer_id=survivor, responded=False, attributed_revenue=10),
            CampaignTarget(campaign_id=spring.id, customer_id=duplicate, responded=True, responded_at=at,
                           attributed_revenue=25.5),
            CampaignTarget(campaign_id=autumn.id, customer_id=duplicate),
            MailMessage(to_address="ada.king@example.com", purpose_key="campaign:1", subject="Spring offer",
                        body_text="Hello Ada", unsubscribe_customer_id=duplicate),
        ])
        session.commit()
        return {"survivor": survivor, "duplicate": duplicate, "spring": spring.id, "autumn": autumn.id}


def test_a_merge_moves_every_related_row_and_fills_the_survivors_blanks(engine, people, two_records):
    survivor, duplicate = two_records["survivor"], two_records["duplicate"]
    with Session(engine) as session:
        moved = customers.merge_customers(session=session, actor=people["rep"], survivor_id=survivor,
                                          duplicate_id=duplicate)
        session.commit()
    assert moved == {"orders": 2, "deals": 1, "tasks": 1, "feedback": 1, "survey_links": 1, "campaigns": 1,
                     "logged_activities": 0, "mail": 1}
    assert _count(engine, MailMessage, unsubscribe_customer_id=survivor) == 1
    for model, expected in ((Order, 3), (Deal, 1), (Activity, 1), (Feedback, 1), (FeedbackInvite, 1),
                            (CampaignTarget, 2)):
        assert _count(engine, model, customer_id=survivor) == expected
        assert _count(engine, model, customer_id=duplicate) == 0
    with Session(engine) as session:
        assert session.get(Customer, duplicate) is None
        kept = session.get(Customer, survivor)
        # Its own email stays; the empty phone comes over with its consent, as does the external ref.
        assert (kept.name, kept.email, kept.phone, kept.consent_phone, kept.consent_email, kept.external_ref) == (
            "Ada Lovelace", "ada@engines.example.com", "+14155552671", True, False, "CRM-000042")
        spring = session.exec(select(CampaignTarget).where(CampaignTarget.campaign_id == two_records["spring"])).one()
        assert (spring.customer_id, spring.responded, spring.attributed_revenue) == (survivor, True, 35.5)
    action, old, new = _audit(engine, survivor)[-1]
    assert action == "merge"
    assert old == {"phone": None, "consent_phone": False, "external_ref": None, "merged_customer_id": None,
                   **{f"{label}_moved": None for label in moved}}
    assert new == {"phone": "+14155552671", "consent_phone": True, "external_ref": "CRM-000042",
                   "merged_customer_id": duplicate, **{f"{label}_moved": count for label, count in moved.items()}}
    action, old, new = _audit(engine, duplicate)[-1]
    assert (action, old["name"], old["email"], new) == (
        "merged_into", "Ada King", "ada.king@example.com", {**dict.fromkeys(old), "merged_into": survivor})


def test_the_merge_knows_every_table_that_points_at_customers():
    pointing = {(fk.parent.table.name, fk.parent.name) for table in SQLModel.metadata.tables.values()
                for fk in table.foreign_keys if fk.column.table.name == "customer"}
    assert pointing == {(column.class_.__tablename__, column.key) for _, column in customers.MERGED_RELATIONS}


def test_a_change_and_its_audit_row_roll_back_together(engine, people, in_app):
    customer_id = _add(engine, people["rep"])
    for change in (
        lambda s: customers.update_customer(session=s, actor=people["rep"], customer_id=customer_id,
                                            customer_update=CustomerUpdate.model_validate(_form(name="Ada King"))),
        lambda s: customers.create_customer(session=s, actor=people["rep"],
                                            customer_create=CustomerCreate.model_validate(_form(name="Ada Byron"))),
    ):
        with pytest.raises(RuntimeError), write_session() as session:
            change(session)
            assert session.exec(select(func.count()).select_from(AuditLog)).one() == 2  # written, not yet kept
            raise RuntimeError("the power goes out after the audit row")
    assert _count(engine, AuditLog) == 1 and _count(engine, Customer) == 1
    with Session(engine) as session:
        assert session.get(Customer, customer_id).name == "Ada Lovelace"


def test_a_merge_rolls_back_whole(engine, people, two_records, in_app):
    with pytest.raises(RuntimeError), write_session() as session:
        customers.merge_customers(session=session, actor=people["rep"], survivor_id=two_records["survivor"],
                                  duplicate_id=two_records["duplicate"])
        raise RuntimeError("fails after the merge and its audit rows")
    assert _count(engine, Order, customer_id=two_records["duplicate"]) == 2
    assert _count(engine, CampaignTarget) == 3
    assert [action for action, _, _ in _audit(engine, two_records["duplicate"])] == ["create"]


def test_only_a_customer_without_history_can_be_deleted(engine, people, two_records):
    with Session(engine) as session, pytest.raises(customers.CustomerHasHistory):
        customers.delete_customer(session=session, actor=people["rep"], customer_id=two_records["duplicate"])
    spare = _add(engine, people["rep"], name="Ada Typo", email=None, phone=None)
    with Session(engine) as session:
        session.add(FeedbackInvite(customer_id=spare, nonce="s" * 32))
        session.commit()
        customers.delete_customer(session=session, actor=people["admin"], customer_id=spare)
        session.commit()
    assert _count(engine, Customer, id=spare) == 0 and _count(engine, FeedbackInvite, customer_id=spare) == 0
    action, old, new = _audit(engine, spare)[-1]
    assert (action, old["name"], new) == ("delete", "Ada Typo", None)
