"""The pipeline board in Chromium: a won deal moves its figures between columns; Lost needs a reason; the
weighted amounts switch between stage probabilities and the win model."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, func, select

from crm_app import routes
from crm_app.data.db import engine_for
from crm_app.data.facts import load_facts
from crm_app.data.models import AuditLog, Customer, Deal, User
from crm_app.data.insights_refresh import fit_insight, insight_model_name
from crm_app.data.reports import ReportPeriod
from crm_app.data.repositories.model_runs import record_model_run
from crm_app.domain import DealStage
from crm_app.states.auth import FORBIDDEN
from crm_app.states.pipeline import PipelineState
from tests.e2e.conftest import open_page, path_is, sign_in
from tests.e2e.websocket_client import ReflexClient, run

pytestmark = pytest.mark.e2e

REP = ("rep4@example.com", "demo-rep4-2026")


def _new_deal(database_url: str, title: str, stage: DealStage, amount: float, probability: float) -> Deal:
    """A deal of the rep's, added straight to the database so the test does not depend on the seed's stages."""
    with Session(engine_for(database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == REP[0])).one()
        customer_id = session.exec(select(Customer.id).where(Customer.owner_id == rep_id).order_by(Customer.id)).first()
        # The earliest expected close puts the card first in its column.
        deal = Deal(title=title, customer_id=customer_id, owner_id=rep_id, stage=stage, amount=amount,
                    probability=probability, expected_close_date=date(2000, 1, 1))
        session.add(deal)
        session.commit()
        session.refresh(deal)
        return deal


def _column_figures(database_url: str, stage: DealStage) -> tuple[int, float, float]:
    with Session(engine_for(database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == REP[0])).one()
        rows = session.exec(select(Deal.amount, Deal.probability)
                            .where(Deal.owner_id == rep_id, Deal.stage == stage)).all()
    return len(rows), sum(amount for amount, _ in rows), sum(amount * probability for amount, probability in rows)


def _expect_column(page: Page, stage: DealStage, count: int, total: float, weighted: float) -> None:
    expect(page.get_by_test_id(f"count-{stage.value}")).to_have_text(f"{count:,}")
    expect(page.get_by_test_id(f"total-{stage.value}")).to_have_text(f"{total:,.2f}")
    expect(page.get_by_test_id(f"weighted-{stage.value}")).to_have_text(f"{weighted:,.2f}")


def _fit_win_model(database_url: str) -> dict[str, dict[str, float]]:
    """Fit and store the win model as /insights does, on the e2e company; its per-deal probabilities."""
    with Session(engine_for(database_url)) as session:
        fit = fit_insight("winprob", load_facts(session), ReportPeriod.ending(datetime.now(UTC).date()))
        record_model_run(session=session, model=insight_model_name("winprob"), rows=fit.rows, seconds=fit.seconds,
                         summary=fit.report)
        session.commit()
    return fit.report["open_deal_probabilities"]


def _weighted_by_model(database_url: str, stage: DealStage, probabilities: dict[str, dict[str, float]]) -> float:
    """Σ amount × the model's probability of the rep's deals in `stage` (their stage probability when unscored)."""
    with Session(engine_for(database_url)) as session:
        rep_id = session.exec(select(User.id).where(User.email == REP[0])).one()
        rows = session.exec(select(Deal.id, Deal.amount, Deal.probability)
                            .where(Deal.owner_id == rep_id, Deal.stage == stage)).all()
    scored = probabilities.get(stage.value, {})
    return sum(amount * scored.get(str(deal_id), probability) for deal_id, amount, probability in rows)


def _stage_of(database_url: str, deal_id: int) -> DealStage:
    with Session(engine_for(database_url)) as session:
        return session.get(Deal, deal_id).stage


def test_a_rep_wins_a_deal_and_the_column_figures_move_with_it(new_context, app_url, e2e_database_url):
    deal = _new_deal(e2e_database_url, "E2E Negotiation to win", DealStage.negotiation, 12_345.60, 0.75)
    negotiation = _column_figures(e2e_database_url, DealStage.negotiation)
    won = _column_figures(e2e_database_url, DealStage.won)
    page = new_context().new_page()
    sign_in(page, app_url, *REP)
    page.get_by_test_id("nav-pipeline").click()
    _expect_column(page, DealStage.negotiation, *negotiation)
    _expect_column(page, DealStage.won, *won)

    card = page.get_by_test_id("column-Negotiation").get_by_test_id("deal-card").first
    expect(card.get_by_test_id("deal-title")).to_have_text("E2E Negotiation to win")
    card.get_by_label("Move E2E Negotiation to win to").select_option("Won")

    # 12,345.60 leaves Negotiation (weighted 12,345.60 x 0.75 = 9,259.20) and joins Won at probability 1.
    _expect_column(page, DealStage.negotiation, negotiation[0] - 1, negotiation[1] - 12_345.60,
                   negotiation[2] - 9_259.20)
    _expect_column(page, DealStage.won, won[0] + 1, won[1] + 12_345.60, won[2] + 12_345.60)
    assert _stage_of(e2e_database_url, deal.id) == DealStage.won
    with Session(engine_for(e2e_database_url)) as session:
        moves = session.exec(select(AuditLog).where(AuditLog.entity == "deal", AuditLog.entity_id == deal.id)).all()
    assert [(m.old_values["stage"], m.new_values["stage"]) for m in moves] == [("Negotiation", "Won")]

    page.get_by_role("button", name="Create the order").click()
    expect(page).to_have_url(path_is(app_url, f"/orders/new?customer={deal.customer_id}&deal={deal.id}"))


def test_the_columns_weigh_by_the_win_model_or_by_stage_probability(new_context, app_url, e2e_database_url):
    probabilities = _fit_win_model(e2e_database_url)
    open_stages = (DealStage.lead, DealStage.qualified, DealStage.proposal, DealStage.negotiation)
    by_stage = {stage: _column_figures(e2e_database_url, stage) for stage in open_stages}
    by_model = {stage: _weighted_by_model(e2e_database_url, stage, probabilities) for stage in open_stages}
    assert any(round(by_model[s], 2) != round(by_stage[s][2], 2) for s in open_stages)
    page = new_context().new_page()
    sign_in(page, app_url, *REP)
    open_page(page, f"{app_url}/pipeline")
    expect(page.get_by_test_id("weight-hint")).to_contain_text("a win model fitted")

    page.get_by_role("combobox", name="Weight by").click()
    page.get_by_role("option", name="Win model", exact=True).click()
    expect(page).to_have_url(path_is(app_url, "/pipeline?weight=model"))
    expect(page.get_by_test_id("weight-hint")).to_contain_text("uses its stage probability")
    for stage in open_stages:
        _expect_column(page, stage, by_stage[stage][0], by_stage[stage][1], by_model[stage])

    page.get_by_role("combobox", name="Weight by").click()
    page.get_by_role("option", name="Stage probability", exact=True).click()
    expect(page).to_have_url(path_is(app_url, "/pipeline"))
    for stage in open_stages:
        _expect_column(page, stage, *by_stage[stage])


def test_moving_to_lost_without_a_reason_is_refused_inline_and_changes_nothing(new_context, app_url,
                                                                              e2e_database_url):
    deal = _new_deal(e2e_database_url, "E2E Proposal to lose", DealStage.proposal, 5_000, 0.5)
    proposal = _column_figures(e2e_database_url, DealStage.proposal)
    lost = _column_figures(e2e_database_url, DealStage.lost)
    page = new_context().new_page()
    sign_in(page, app_url, *REP)
    open_page(page, f"{app_url}/pipeline")
    _expect_column(page, DealStage.proposal, *proposal)

    card = page.get_by_test_id("column-Proposal").get_by_test_id("deal-card").first
    card.get_by_label("Move E2E Proposal to lose to").select_option("Lost")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Why was “E2E Proposal to lose” lost?")
    dialog.get_by_role("button", name="Mark as lost").click()

    expect(dialog.get_by_test_id("error-lost_reason")).to_have_text("Say why the deal was lost.")
    assert _stage_of(e2e_database_url, deal.id) == DealStage.proposal
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    _expect_column(page, DealStage.proposal, *proposal)
    _expect_column(page, DealStage.lost, *lost)
    with Session(engine_for(e2e_database_url)) as session:
        assert session.exec(select(func.count()).select_from(AuditLog)
                            .where(AuditLog.entity == "deal", AuditLog.entity_id == deal.id)).one() == 0


def test_hostile_websocket_calls_cannot_move_reassign_or_create_other_reps_deals(app_url, e2e_database_url):
    deal = _new_deal(e2e_database_url, "E2E Qualified to keep", DealStage.qualified, 7_000, 0.25)
    with Session(engine_for(e2e_database_url)) as session:
        deals_before = session.exec(select(func.count()).select_from(Deal)).one()
        rep2_id = session.exec(select(User.id).where(User.email == "rep2@example.com")).one()

    async def scenario() -> ReflexClient:
        async with ReflexClient(app_url) as client:
            await client.sign_in("rep2@example.com", "demo-rep2-2026")
            client.messages.clear()
            for stage in ("Won", "Lost", "Bogus"):
                await client.emit(PipelineState, "move_to", routes.PIPELINE, deal_id=str(deal.id), stage=stage)
            await client.emit(PipelineState, "pick_up", routes.PIPELINE, deal_id=deal.id)
            await client.emit(PipelineState, "drop_on", routes.PIPELINE, stage="Won")
            await client.emit(PipelineState, "reassign", routes.PIPELINE, deal_id=str(deal.id), owner_id=str(rep2_id))
            for amount in ("-5", "100"):
                await client.emit(PipelineState, "create_deal", routes.PIPELINE, form_data={
                    "title": "Stolen", "customer_id": str(deal.customer_id), "amount": amount,
                    "expected_close_date": "2027-01-31", "owner_id": str(rep2_id)})
            await client.wait_for(lambda: len(client.toasts()) == 5
                                  and len(client.values(PipelineState, "new_deal_errors")) == 2)
            return client

    client = run(scenario)

    toasts = client.toasts()
    assert sum('"No such deal."' in toast for toast in toasts) == 3  # Won, Lost and the drop
    assert sum("Choose one of the pipeline" in toast for toast in toasts) == 1
    assert sum(json.dumps(FORBIDDEN) in toast for toast in toasts) == 1  # reassigning is for admins
    assert [set(errors) for errors in client.values(PipelineState, "new_deal_errors")] == [{"amount"}, {"customer_id"}]
    assert "E2E Qualified to keep" not in json.dumps(client.messages)
    assert _stage_of(e2e_database_url, deal.id) == DealStage.qualified
    with Session(engine_for(e2e_database_url)) as session:
        assert session.get(Deal, deal.id).owner_id != rep2_id
        assert session.exec(select(func.count()).select_from(Deal)).one() == deals_before
        assert session.exec(select(func.count()).select_from(AuditLog)
                            .where(AuditLog.entity == "deal", AuditLog.entity_id == deal.id)).one() == 0
