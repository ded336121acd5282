"""The pipeline board in Chromium: a won deal moves its figures between columns; Lost needs a reason; the
weighted amounts switch between stage probabilities and the win model; all six stages fit 1440 px with Won and
Lost as lanes that expand; on a phone one stage shows at a time and a deal still moves."""

from __future__ import annotations

import json
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, func, select

from crm_app import routes
from crm_app.data.db import engine_for
from crm_app.data.models import AuditLog, Customer, Deal, User
from crm_app.domain import DealStage
from crm_app.states.auth import FORBIDDEN
from crm_app.states.pipeline import PipelineState
from tests.e2e.conftest import open_page, path_is, sign_in, store_insight_fit, writing
from tests.e2e.websocket_client import ReflexClient, run

pytestmark = pytest.mark.e2e

REP = ("rep4@example.com", "demo-rep4-2026")


def _new_deal(database_url: str, title: str, stage: DealStage, amount: float, probability: float) -> Deal:
    """A deal of the rep's, added straight to the database so the test does not depend on the seed's stages."""
    with writing(database_url) as session:
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
    expect(page.get_by_test_id(f"total-{stage.value}")).to_have_text(f"${total:,.2f}")
    expect(page.get_by_test_id(f"weighted-{stage.value}")).to_have_text(f"${weighted:,.2f}")


def _fit_win_model(database_url: str) -> dict[str, dict[str, float]]:
    """Fit and store the win model as /insights does, on the e2e company; its per-deal probabilities."""
    return store_insight_fit(database_url, "winprob").report["open_deal_probabilities"]


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
    # From the keyboard: the card's actions menu opens on Enter; its items are Open, then Move to Lead, Qualified,
    # Proposal, Won, Lost (never the card's own stage).
    card.get_by_role("button", name="Actions for E2E Negotiation to win").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="Open")).to_be_focused()
    for name in ("Move to Lead", "Move to Qualified", "Move to Proposal", "Move to Won"):
        page.keyboard.press("ArrowDown")  # one item at a time, as a person would: each press once the last has landed
        expect(page.get_by_role("menuitem", name=name)).to_be_focused()
    page.keyboard.press("Enter")

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
    card.get_by_role("button", name="Actions for E2E Proposal to lose").click()
    page.get_by_role("menuitem", name="Move to Lost").click()
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


def _no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_all_six_stages_fit_1440_px_and_won_and_lost_lanes_expand(new_context, app_url, e2e_database_url):
    _new_deal(e2e_database_url, "E2E Won lane deal", DealStage.won, 4_000, 1.0)
    _new_deal(e2e_database_url, "E2E Lead column deal", DealStage.lead, 1_000, 0.1)  # whatever today's seed holds
    page = new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, app_url, *REP)
    open_page(page, f"{app_url}/pipeline")
    expect(page.get_by_test_id("column-Lead").get_by_test_id("deal-card").first).to_be_visible()
    boxes = {stage: page.get_by_test_id(f"column-{stage.value}").bounding_box() for stage in DealStage}
    assert all(0 <= box["x"] and box["x"] + box["width"] <= 1440 for box in boxes.values()), boxes
    assert _no_sideways_scroll(page)
    assert boxes[DealStage.won]["width"] < boxes[DealStage.lead]["width"] / 1.2  # a lane, narrower than a column
    expect(page.get_by_test_id("stage-switcher")).to_be_hidden()

    won_card = page.get_by_test_id("column-Won").get_by_test_id("deal-card").filter(has_text="E2E Won lane deal")
    expect(won_card).to_be_hidden()  # folded: the lane shows the count and the total
    expect(page.get_by_test_id("total-Won")).to_be_visible()
    page.get_by_test_id("lane-Won").locator("summary").click()
    expect(won_card).to_be_visible()
    assert page.get_by_test_id("column-Won").bounding_box()["width"] > boxes[DealStage.won]["width"]
    assert _no_sideways_scroll(page)

    # A month without deals: every column says so instead of showing nothing.
    open_page(page, f"{app_url}/pipeline?month=2099-01")
    expect(page.get_by_test_id("empty-Qualified")).to_have_text(
        "No deals in this stage. Move one here with its … menu or by dragging it.")
    expect(page.get_by_test_id("empty-Lead")).to_have_text("No leads here. Add one with New deal.")


def test_on_a_phone_one_stage_shows_at_a_time_and_a_deal_still_moves(new_context, app_url, e2e_database_url):
    deal = _new_deal(e2e_database_url, "E2E Phone move", DealStage.qualified, 2_000, 0.25)
    page = new_context(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
    sign_in(page, app_url, *REP)
    open_page(page, f"{app_url}/pipeline")
    switcher = page.get_by_label("Stage", exact=True)
    expect(switcher).to_have_value("Lead")
    expect(page.get_by_test_id("column-Lead")).to_be_visible()
    expect(page.get_by_test_id("column-Qualified")).to_be_hidden()

    switcher.select_option("Qualified")
    column = page.get_by_test_id("column-Qualified")
    expect(column).to_be_visible()
    expect(page.get_by_test_id("column-Lead")).to_be_hidden()
    assert _no_sideways_scroll(page)
    actions = column.get_by_test_id("deal-card").filter(has_text="E2E Phone move").get_by_role(
        "button", name="Actions for E2E Phone move")
    box = actions.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # WCAG 2.5.5
    actions.tap()
    page.get_by_role("menuitem", name="Move to Proposal").tap()
    expect(column.get_by_test_id("deal-card").filter(has_text="E2E Phone move")).to_have_count(0)
    assert _stage_of(e2e_database_url, deal.id) == DealStage.proposal

    switcher.select_option("Proposal")
    expect(page.get_by_test_id("column-Proposal").get_by_test_id("deal-card").filter(
        has_text="E2E Phone move")).to_be_visible()
    assert _no_sideways_scroll(page)
