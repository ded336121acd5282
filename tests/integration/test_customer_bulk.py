"""Bulk actions on customers, on SQLite and PostgreSQL: all or nothing, one audit batch, ownership enforced on the
server (a rep cannot touch another rep's customers, even by sending their ids), "all N matching" worked out from
the filters, a bound with its message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, func, select

from crm_app.data.models import Activity, AuditLog, Campaign, CampaignTarget, Customer, Role, User
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import campaigns, customer_bulk
from crm_app.data.repositories.customer_bulk import MAX_BULK, Selection, SelectionRejected
from crm_app.data.repositories.customers import CustomerQuery, OwnerRejected
from crm_app.data.repositories.tasks import TaskDraft
from crm_app.data.repositories.timeline import timeline_page
from crm_app.data.repositories.users import actor_of
from tests.conftest import add_staff

DRAFT = TaskDraft(subject="Renewal call", kind="call", due_on="2026-03-16", due_time="09:30",
                  notes="Ask about the second site")


@pytest.fixture
def book(engine):
    """Rep owns Ada, Alan and Anna (EMEA, EMEA, APAC); Other owns Bea (EMEA) and Ben (APAC)."""
    with Session(engine) as session:
        staff = add_staff(session)
        people = {name: actor_of(user) for name, user in staff.items()}
        owned = {"Ada": ("rep", "EMEA"), "Alan": ("rep", "EMEA"), "Anna": ("rep", "APAC"),
                 "Bea": ("other", "EMEA"), "Ben": ("other", "APAC")}
        rows = {name: Customer(name=name, region=region, segment="SMB", acquisition_channel="web",
                               owner_id=people[owner].id) for name, (owner, region) in owned.items()}
        session.add_all(rows.values())
        session.commit()
        return people, {name: row.id for name, row in rows.items()}


def _owners(engine) -> dict[str, int | None]:
    with Session(engine) as session:
        return dict(session.exec(select(Customer.name, Customer.owner_id)).all())


def _audit(engine, action: str) -> list[tuple[str, int, dict, dict, str | None]]:
    with Session(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()
        return [(row.entity, row.entity_id, row.old_values, row.new_values, row.batch_id) for row in rows]


def _task_count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Activity)).one()


def test_an_admin_reassigns_ticked_customers_in_one_audited_batch(engine, book):
    people, ids = book
    before = _owners(engine)
    with Session(engine) as session:
        result = customer_bulk.reassign_customers(
            session=session, actor=people["admin"], owner_id=people["other"].id,
            selection=Selection.of_ids([ids["Ada"], ids["Alan"], ids["Bea"], ids["Ada"]]))
        session.commit()
    assert (result.changed, result.selected) == (2, 3)
    assert customer_bulk.describe(result, "reassigned") == "2 customers reassigned (1 customer already had that owner)"
    assert _owners(engine) == before | {"Ada": people["other"].id, "Alan": people["other"].id}
    rep, other = people["rep"].id, people["other"].id
    assert _audit(engine, "reassign") == [
        ("customer", ids["Ada"], {"owner_id": rep}, {"owner_id": other}, result.batch_id),
        ("customer", ids["Alan"], {"owner_id": rep}, {"owner_id": other}, result.batch_id),
    ]
    assert len(result.batch_id) == 32
    with Session(engine) as session:
        entry = timeline_page(session=session, actor=people["admin"], customer_id=ids["Ada"]).entries[0]
    assert (entry.title, entry.changes, entry.who) == (
        "Owner changed (bulk action on 2 customers)", ("Owner: Rep -> Other",), "Admin")


def test_all_matching_is_worked_out_from_the_filters_on_the_server(engine, book):
    people, ids = book
    with Session(engine) as session:
        result = customer_bulk.reassign_customers(
            session=session, actor=people["admin"], owner_id=None,
            selection=Selection.matching(CustomerQuery(region="APAC")))
        session.commit()
    assert customer_bulk.describe(result, "reassigned") == "2 customers reassigned"
    assert {name for name, owner in _owners(engine).items() if owner is None} == {"Anna", "Ben"}


def test_only_admins_reassign_and_only_to_an_active_rep_or_admin(engine, book):
    people, ids = book
    before = _owners(engine)
    for actor in (people["rep"], people["exec"]):
        with pytest.raises(PermissionDenied, match="Only admins give customers to another owner."), \
                Session(engine) as session:
            customer_bulk.reassign_customers(session=session, actor=actor, owner_id=actor.id,
                                             selection=Selection.of_ids([ids["Bea"]]))
    with pytest.raises(OwnerRejected, match="Choose an active sales rep or admin as the owner."), \
            Session(engine) as session:
        customer_bulk.reassign_customers(session=session, actor=people["admin"], owner_id=people["exec"].id,
                                         selection=Selection.of_ids([ids["Ada"]]))
    assert _owners(engine) == before
    assert _audit(engine, "reassign") == []


def test_a_rep_makes_a_task_for_each_of_their_customers_due_on_their_own_clock(engine, book):
    people, ids = book
    rep = replace(people["rep"], time_zone="Europe/Berlin")
    with Session(engine) as session:
        result = customer_bulk.create_tasks(session=session, actor=rep, draft=DRAFT,
                                            selection=Selection.matching(CustomerQuery()))
        session.commit()
    assert customer_bulk.describe(result, "given a task") == "3 customers given a task"
    with Session(engine) as session:
        made = session.exec(select(Activity.customer_id, Activity.owner_id, Activity.subject, Activity.kind,
                                   Activity.due_at, Activity.notes).order_by(Activity.customer_id)).all()
    due = datetime(2026, 3, 16, 8, 30, tzinfo=UTC)  # 09:30 in Berlin (CET, UTC+1)
    assert [tuple(row) for row in made] == [
        (ids[name], rep.id, "Renewal call", "call", due, "Ask about the second site") for name in ("Ada", "Alan", "Anna")]
    audit = _audit(engine, "create")
    assert [(entity, batch) for entity, _, _, _, batch in audit] == [("task", result.batch_id)] * 3


def test_a_rep_cannot_touch_another_reps_customers_even_by_sending_their_ids(engine, book):
    people, ids = book
    sneaky = Selection.of_ids([ids["Ada"], ids["Alan"], ids["Bea"]])  # Bea is Other's
    for action in (
        lambda s: customer_bulk.create_tasks(session=s, actor=people["rep"], draft=DRAFT, selection=sneaky),
        lambda s: customer_bulk.export_selection(session=s, actor=people["rep"], selection=sneaky),
    ):
        with pytest.raises(NotFound, match="nothing was changed"), Session(engine) as session:
            action(session)
            session.commit()
    with pytest.raises(NotFound), Session(engine) as session:  # an id that does not exist fails the same way
        customer_bulk.create_tasks(session=session, actor=people["admin"], draft=DRAFT,
                                   selection=Selection.of_ids([ids["Ada"], 987654]))
    assert _task_count(engine) == 0
    assert _audit(engine, "create") == []
    # "All matching" for a rep is within their own book, whatever the filters ask for.
    with pytest.raises(SelectionRejected, match="Select at least one customer."), Session(engine) as session:
        customer_bulk.export_selection(session=session, actor=people["rep"],
                                       selection=Selection.matching(CustomerQuery(owner_id=people["other"].id)))
    with Session(engine) as session:
        rows = customer_bulk.export_selection(session=session, actor=people["rep"],
                                              selection=Selection.matching(CustomerQuery()))
    assert [row[1] for row in rows] == ["Ada", "Alan", "Anna"]
    with pytest.raises(PermissionDenied), Session(engine) as session:
        customer_bulk.create_tasks(session=session, actor=people["exec"], draft=DRAFT,
                                   selection=Selection.of_ids([ids["Ada"]]))


def test_a_customer_deleted_meanwhile_refuses_the_whole_action(engine, book):
    """Five customers on screen, one deleted by someone else before the click: no task for the other four."""
    people, ids = book
    with Session(engine) as session:
        session.delete(session.get(Customer, ids["Ben"]))
        session.commit()
    with pytest.raises(NotFound, match="nothing was changed"), Session(engine) as session:
        customer_bulk.create_tasks(session=session, actor=people["admin"], draft=DRAFT,
                                   selection=Selection.of_ids(ids.values()))
    assert _task_count(engine) == 0
    assert _audit(engine, "create") == []


def test_selections_are_bounded_and_never_empty(engine, book):
    people, ids = book
    with pytest.raises(SelectionRejected, match="Select at least one customer."), Session(engine) as session:
        customer_bulk.create_tasks(session=session, actor=people["rep"], draft=DRAFT,
                                   selection=Selection.matching(CustomerQuery(region="Nowhere")))
    with pytest.raises(SelectionRejected) as refused, Session(engine) as session:
        customer_bulk.export_selection(session=session, actor=people["admin"],
                                       selection=Selection.of_ids(range(1, MAX_BULK + 2)))
    assert str(refused.value) == ("A bulk action works on at most 1,000 customers at a time and this selection has "
                                  "1,001: narrow the filters and try again.")
    with Session(engine) as session:
        session.add_all(Customer(name=f"Lead {n:04}", region="LATAM", segment="SMB", acquisition_channel="web",
                                 owner_id=people["rep"].id) for n in range(MAX_BULK))
        session.commit()
    with pytest.raises(SelectionRejected, match="this selection has 1,003: narrow"), Session(engine) as session:
        customer_bulk.create_tasks(session=session, actor=people["rep"], draft=DRAFT,
                                   selection=Selection.matching(CustomerQuery()))
    with Session(engine) as session:
        rows = customer_bulk.export_selection(session=session, actor=people["rep"],
                                              selection=Selection.matching(CustomerQuery(region="LATAM")))
    assert len(rows) == MAX_BULK
    assert _task_count(engine) == 0


def _email_campaign(session, marketer, holdout_share: float = 0.25) -> int:
    draft = campaigns.CampaignDraft(name="Autumn upgrade", channel="email", start_date="2026-10-01",
                                    end_date="2026-10-14", holdout_share=holdout_share,
                                    email_subject="An offer for {name}", email_body="Hello {name}: {survey_link}")
    return campaigns.create_campaign(session=session, actor=marketer, draft=draft).id


def _targets(engine, campaign_id: int) -> dict[int, str]:
    with Session(engine) as session:
        return dict(session.exec(select(CampaignTarget.customer_id, CampaignTarget.target_group)
                                 .where(CampaignTarget.campaign_id == campaign_id)).all())


def test_a_marketer_adds_the_selection_to_a_campaign_by_its_rules_in_one_audited_batch(engine, book):
    """Ada is already in the campaign and Anna gives no email consent: of five selected, three join, and the
    holdout is what set_audience would draw over the four."""
    people, ids = book
    with Session(engine) as session:
        marketer = User(email="mia@example.com", full_name="Mia Marketer", role=Role.marketer, password_hash="x")
        session.add(marketer)
        for name in ("Ada", "Alan", "Bea", "Ben", "Anna"):
            customer = session.get(Customer, ids[name])
            customer.email, customer.consent_email = f"{name.lower()}@example.com", name != "Anna"
        session.commit()
        mia = actor_of(marketer)
        campaign_id = _email_campaign(session, mia)
        campaigns.set_audience(session=session, actor=mia, campaign_id=campaign_id, customer_ids=[ids["Ada"]])
        seed = session.get(Campaign, campaign_id).seed
        session.commit()
    with Session(engine) as session:
        result = customer_bulk.add_to_campaign(session=session, actor=mia, campaign_id=campaign_id,
                                               selection=Selection.matching(CustomerQuery()))
        session.commit()
    audience = sorted(ids[name] for name in ("Ada", "Alan", "Bea", "Ben"))
    held = campaigns.holdout_draw(audience, 0.25, seed)
    assert len(held) == 1
    assert _targets(engine, campaign_id) == {i: ("holdout" if i in held else "contacted") for i in audience}
    newcomers = {ids["Alan"], ids["Bea"], ids["Ben"]}
    a = result.addition
    assert (a.selected, a.added, a.already_in, a.without_consent, a.held_out) == (5, 3, 1, 1, len(held & newcomers))
    held_note = " (1 of them held out, never contacted)" if held & newcomers else ""
    assert customer_bulk.describe_addition(result) == (
        f"3 customers added to “Autumn upgrade”{held_note}; 2 left out: 1 without email consent or address, "
        "1 already in the campaign.")
    added = [row for row in _audit(engine, "campaign_add")]
    assert added == [("customer", i, None, {"campaign": "Autumn upgrade"}, result.batch_id) for i in sorted(newcomers)]
    assert [(entity, batch) for entity, _, _, _, batch in _audit(engine, "audience")][-1] == (
        "campaign", result.batch_id)
    with Session(engine) as session:
        entry = timeline_page(session=session, actor=people["admin"], customer_id=ids["Alan"]).entries[0]
    assert (entry.title, entry.changes, entry.who) == (
        "Added to a campaign's audience (bulk action on 3 customers)", ("Campaign: - -> Autumn upgrade",),
        "Mia Marketer")


def test_only_marketers_and_admins_add_to_a_draft_campaign(engine, book):
    people, ids = book
    with Session(engine) as session:
        for name in ids:
            customer = session.get(Customer, ids[name])
            customer.email, customer.consent_email = f"{name.lower()}@example.com", True
        session.commit()
        campaign_id = _email_campaign(session, people["admin"], holdout_share=0)
        session.commit()
    ada = Selection.of_ids([ids["Ada"]])
    for actor in (people["rep"], people["exec"]):
        with pytest.raises(PermissionDenied, match="Marketers and admins add customers to campaigns."), \
                Session(engine) as session:
            customer_bulk.add_to_campaign(session=session, actor=actor, selection=ada, campaign_id=campaign_id)
    for hostile in (987654, "1", None, True, 2**40):
        with pytest.raises(NotFound), Session(engine) as session:
            customer_bulk.add_to_campaign(session=session, actor=people["admin"], selection=ada, campaign_id=hostile)
    with Session(engine) as session:
        result = customer_bulk.add_to_campaign(session=session, actor=people["admin"], selection=ada,
                                               campaign_id=campaign_id)
        campaigns.start_campaign(session=session, actor=people["admin"], campaign_id=campaign_id,
                                 now=datetime(2026, 10, 1, 9, tzinfo=UTC))
        session.commit()
    assert customer_bulk.describe_addition(result) == "1 customer added to “Autumn upgrade”."
    with pytest.raises(campaigns.CampaignLocked, match="A started campaign keeps its audience."), \
            Session(engine) as session:
        customer_bulk.add_to_campaign(session=session, actor=people["admin"], campaign_id=campaign_id,
                                      selection=Selection.of_ids([ids["Alan"]]))
    assert _targets(engine, campaign_id) == {ids["Ada"]: "contacted"}
    assert len(_audit(engine, "campaign_add")) == 1
