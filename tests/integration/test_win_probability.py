"""Win probability's data side: the stage a deal reached comes from its audit trail, the last fit is stored with
every open deal's probability, and the board's "Win model" weighting uses it (stage probability otherwise)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import Session, select

from crm_app.data.facts import load_facts
from crm_app.data.models import Customer, Deal, User
from crm_app.data.insights_refresh import (
    insight_model_name, latest_insights, latest_win_model_fit, latest_win_probabilities, refresh_insights,
)
from crm_app.data.repositories import deals
from crm_app.data.repositories.model_runs import record_model_run
from crm_app.data.repositories.users import actor_of
from crm_app.data.seed import seed_demo_company
from crm_app.domain import STAGE_PROBABILITY, DealStage
from crm_app.settings import get_settings
from tests.conftest import add_staff

WINPROB = insight_model_name("winprob")


@pytest.fixture
def book(engine):
    """The rep's customer Ada and the other rep's Edsger; returns the actors and the customers' ids."""
    with Session(engine) as session:
        people = add_staff(session)
        ada = Customer(name="Ada", region="EMEA", segment="SMB", acquisition_channel="event",
                       owner_id=people["rep"].id)
        edsger = Customer(name="Edsger", region="APAC", segment="SMB", acquisition_channel="event",
                          owner_id=people["other"].id)
        session.add_all([ada, edsger])
        session.commit()
        return {name: actor_of(user) for name, user in people.items()} | {"ada": ada.id, "edsger": edsger.id}


def _deal(session: Session, customer_id: int, owner_id: int, amount: float, stage: DealStage = DealStage.lead,
          **extra) -> int:
    deal = Deal(title=f"Deal {amount}", customer_id=customer_id, owner_id=owner_id, stage=stage, amount=amount,
                probability=STAGE_PROBABILITY[stage], expected_close_date=date(2026, 12, 1), **extra)
    session.add(deal)
    session.flush()
    return deal.id


def test_the_stage_reached_is_the_last_open_stage_left_in_the_audit_trail(engine, book):
    rep = book["rep"]
    with Session(engine) as session:

        def moved(amount: float, *stages: str) -> int:
            deal_id = _deal(session, book["ada"], rep.id, amount)
            for stage in stages:
                deals.move_deal(session=session, actor=rep, deal_id=deal_id, stage=stage, lost_reason="Price")
            return deal_id

        ids = {
            "won_from_proposal": moved(100, "Qualified", "Proposal", "Won"),
            "lost_as_lead": moved(200, "Lost"),
            "reopened_then_lost": moved(300, "Negotiation", "Won", "Qualified", "Lost"),
            "won_then_lost": moved(400, "Won", "Lost"),
            "open_in_proposal": moved(500, "Negotiation", "Proposal"),
            "never_moved": moved(600),
            "closed_without_history": _deal(session, book["ada"], rep.id, 700, DealStage.won,
                                            closed_at=datetime(2026, 1, 5, tzinfo=UTC)),
        }
        session.commit()
        frame = load_facts(session).deals.set_index("id")

    reached = frame["stage_reached"].astype(object).where(frame["stage_reached"].notna(), None)
    assert {name: reached[deal_id] for name, deal_id in ids.items()} == {
        "won_from_proposal": "Proposal",
        "lost_as_lead": "Lead",
        "reopened_then_lost": "Qualified",  # its last close came from Qualified, not its first from Negotiation
        "won_then_lost": "Lead",  # Won -> Lost is a move between closed stages
        "open_in_proposal": "Proposal",
        "never_moved": "Lead",
        "closed_without_history": None,
    }


def _column_weights(session: Session, actor, win=None) -> dict[str, float]:
    columns = deals.column_summaries(session=session, actor=actor, board=deals.BoardFilter(),
                                     win_probabilities=win.by_stage if win else None)
    return {column.stage.value: column.weighted for column in columns}


def test_the_board_weighs_open_deals_by_the_last_win_model_fit_or_their_stage_probability(engine, book):
    rep, other, admin = book["rep"], book["other"], book["admin"]
    with Session(engine) as session:
        lead = _deal(session, book["ada"], rep.id, 1000)
        moved = _deal(session, book["ada"], rep.id, 2000)
        unscored = _deal(session, book["ada"], rep.id, 400, DealStage.proposal)
        theirs = _deal(session, book["edsger"], other.id, 3000, DealStage.negotiation)
        _deal(session, book["ada"], rep.id, 5000, DealStage.won, closed_at=datetime(2026, 1, 5, tzinfo=UTC))
        session.commit()
        assert latest_win_probabilities(session=session) is None and latest_win_model_fit(session=session) is None
        # An earlier fit, then the last one; `moved` was scored as a Lead and is now in Qualified.
        record_model_run(session=session, model=WINPROB, rows=5, seconds=0.1,
                         summary={"open_deal_probabilities": {"Lead": {str(lead): 0.9}}})
        session.commit()
        last = record_model_run(session=session, model=WINPROB, rows=5, seconds=0.1, summary={
            "open_deal_probabilities": {"Lead": {str(lead): 0.2, str(moved): 0.3},
                                        "Negotiation": {str(theirs): 0.4}}})
        session.commit()
        assert latest_win_model_fit(session=session) == last.fitted_at.replace(tzinfo=UTC)
        deals.move_deal(session=session, actor=rep, deal_id=moved, stage="Qualified")
        session.commit()

        win = latest_win_probabilities(session=session)
        assert win.by_stage == {"Lead": {lead: 0.2, moved: 0.3}, "Negotiation": {theirs: 0.4}}
        by_stage = _column_weights(session, admin)
        by_model = _column_weights(session, admin, win)
        rep_by_model = _column_weights(session, rep, win)

    # Stage probabilities: Lead 1000 x 0.1; Qualified 2000 x 0.25; Proposal 400 x 0.5; Negotiation 3000 x 0.75.
    assert by_stage == {"Lead": 100.0, "Qualified": 500.0, "Proposal": 200.0, "Negotiation": 2250.0,
                        "Won": 5000.0, "Lost": 0.0}
    # The model: Lead 1000 x 0.2; `moved` left Lead after the fit, so 2000 x 0.25 (its stage's); the unscored
    # Proposal keeps 400 x 0.5; Negotiation 3000 x 0.4; closed columns are what they are.
    assert by_model == {"Lead": 200.0, "Qualified": 500.0, "Proposal": 200.0, "Negotiation": 1200.0,
                        "Won": 5000.0, "Lost": 0.0}
    # A rep's board holds only their own deals, whatever the fit scored.
    assert rep_by_model == {"Lead": 200.0, "Qualified": 500.0, "Proposal": 200.0, "Negotiation": 0.0,
                            "Won": 5000.0, "Lost": 0.0}


def test_a_failed_last_fit_leaves_the_board_on_stage_probabilities(engine, book):
    with Session(engine) as session:
        record_model_run(session=session, model=WINPROB, rows=3, seconds=0.0,
                         summary={"open_deal_probabilities": {"Lead": {"1": 0.5}}})
        session.commit()
        record_model_run(session=session, model=WINPROB, rows=3, seconds=0.0,
                         summary={"report": "winprob", "error": "The win model needs 40 closed deals ..."})
        session.commit()
        assert latest_win_probabilities(session=session) is None and latest_win_model_fit(session=session) is None


def test_the_stored_fit_scores_every_open_deal_and_the_board_adds_up_to_its_weighted_pipeline(engine, monkeypatch):
    as_of = date(2026, 5, 1)
    seed_demo_company(engine=engine, seed=5, customers=300, orders=2_000, as_of=as_of)
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))

    refresh_insights(as_of=as_of)

    with Session(engine) as session:
        report = latest_insights(session=session)["winprob"].summary
        win = latest_win_probabilities(session=session)
        open_deals = pd.DataFrame(session.exec(select(Deal.id, Deal.stage).where(Deal.closed_at.is_(None))).all(),
                                  columns=["id", "stage"])
        admin = actor_of(session.exec(select(User).where(User.email == "admin@example.com")).one())
        board = _column_weights(session, admin, win)

    assert "error" not in report
    assert report["train_deals"] + report["test_deals"] == report["closed_deals"]
    assert report["closed_without_stage_history"] == 0  # the seed writes every closed deal's stage moves
    assert {stage: sorted(scored) for stage, scored in win.by_stage.items()} == {
        stage: sorted(ids) for stage, ids in open_deals.groupby("stage")["id"]}
    assert [row["method"] for row in report["comparison"]] == ["model", "stage_probability"]
    pipeline = {row["stage"]: row for row in report["weighted_pipeline"]}
    for stage in ("Lead", "Qualified", "Proposal", "Negotiation"):
        assert board[stage] == round(pipeline[stage]["by_model"], 2)
    assert pipeline["Total"]["deals"] == len(open_deals)
