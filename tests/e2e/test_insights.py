"""/insights in Chromium: one tab per model, its headline first; an executive sees the segments, data-quality score
and win-model comparison the report functions give; reps are refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, func, select

from crm_app.data.db import engine_for
from crm_app.data.facts import load_facts
from crm_app.data.models import Deal
from crm_app.data.reports import ReportPeriod, build_report
from crm_app.formatting import whole_money
from tests.e2e.conftest import open_page, path_is, sign_in

pytestmark = pytest.mark.e2e

# The first visit fits every model in the background; wait for it rather than fail on a busy machine.
FIT_WAIT_MS = 300_000


def _reports(database_url: str) -> dict[str, dict]:
    with Session(engine_for(database_url)) as session:
        facts = load_facts(session)
    period = ReportPeriod.ending(datetime.now(UTC).date())
    return {name: build_report(name, facts, period).as_json() for name in ("segments", "quality", "winprob")}


def test_an_executive_sees_the_segments_quality_score_and_win_model_of_the_reports(new_context, app_url, e2e_database_url):
    expected = _reports(e2e_database_url)
    page = new_context().new_page()
    sign_in(page, app_url, "exec@example.com", "demo-exec-2026")
    page.get_by_test_id("nav-insights").click()
    expect(page).to_have_url(path_is(app_url, "/insights"))
    # The page shows the last stored fit, which may predate what other tests have written since: refit, as a user
    # would for today's figures, once a first visit's fit is done.
    refit = page.get_by_role("button", name="Refit the models")
    expect(refit).to_be_enabled(timeout=FIT_WAIT_MS)
    refit.click()
    expect(page.get_by_role("button", name="Refitting …")).to_be_visible()
    expect(refit).to_be_enabled(timeout=FIT_WAIT_MS)

    # Segments is the first tab, its headline above its table; the other models wait behind their tabs.
    segments = expected["segments"]["segments"]
    largest = max(segments, key=lambda s: s["customers"])
    customers = expected["segments"]["customers"]
    expect(page.get_by_test_id("headline-segments")).to_have_text(
        f"{customers:,} customer{'s' if customers != 1 else ''} with a paid order fall into {len(segments)} segments; "
        f"the largest is {largest['segment']} ({largest['share']:.1%} of them).", timeout=FIT_WAIT_MS)
    expect(page.get_by_test_id("quality-overall")).to_have_count(0)
    expect(page.get_by_role("tab")).to_have_count(6)
    for position, tab in enumerate(("Segments", "Lifetime value", "Churn risk", "Forecast", "Data quality",
                                    "Win probability")):
        expect(page.get_by_role("tab").nth(position)).to_have_accessible_name(tab)
    rows = page.get_by_test_id("segment-row")
    expect(rows).to_have_count(len(segments))
    for position, segment in enumerate(segments):
        expect(rows.nth(position)).to_contain_text(segment["segment"])
        expect(rows.nth(position)).to_contain_text(f"{segment['customers']:,}")
    expect(page.get_by_test_id("silhouette-row")).to_have_count(len(expected["segments"]["clusters"]["silhouette"]))

    page.get_by_role("tab", name="Data quality").click()
    overall = f"{expected['quality']['overall']:.1%}"
    expect(page.get_by_test_id("quality-overall")).to_have_text(overall)
    expect(page.get_by_test_id("headline-quality")).to_contain_text(f"Data quality {overall}:")
    expect(page.get_by_test_id("fitted-quality")).to_contain_text(f"on {expected['quality']['customers']:,} customers")
    expect(page.get_by_test_id("segment-row")).to_have_count(0)
    # "possible duplicate of #606" links to customer 606
    duplicate = next(row for row in expected["quality"]["queue"] if row["duplicate_of"])
    link = page.get_by_test_id("quality-queue-row").filter(has_text=duplicate["name"]).get_by_test_id("duplicate-link")
    expect(link.first).to_have_text(f"possible duplicate of #{duplicate['duplicate_of']}")
    expect(link.first).to_have_attribute("href", re.compile(rf"/customers/{duplicate['duplicate_of']}/?$"))
    page.get_by_role("tab", name="Win probability").click()
    _expect_win_probability(page, expected["winprob"], _deal_count(e2e_database_url))
    # Executives read; only admins create follow-up tasks.
    expect(page.get_by_role("button", name="Create follow-up tasks")).to_have_count(0)


def _deal_count(database_url: str) -> int:
    with Session(engine_for(database_url)) as session:
        return session.exec(select(func.count()).select_from(Deal)).one()


def _expect_win_probability(page, report: dict, deals: int) -> None:
    expect(page.get_by_test_id("fitted-winprob")).to_contain_text(f"on {deals:,} deals")
    section = page.get_by_test_id("winprob-comparison-row")
    for position, (method, row) in enumerate(zip(("Win model", "Fixed stage probabilities"), report["comparison"])):
        expect(section.nth(position)).to_contain_text(method)
        expect(section.nth(position)).to_contain_text(f"{row['brier']:.3f}")
        expect(section.nth(position)).to_contain_text(f"{row['log_loss']:.3f}")
    expect(page.get_by_text(f"Trained on {report['train_deals']:,} closed deals and tested on the "
                            f"{report['test_deals']:,} closed last")).to_be_visible()
    rows = page.get_by_test_id("winprob-pipeline-row")
    expect(rows).to_have_count(5)
    for position, row in enumerate(report["weighted_pipeline"]):
        expect(rows.nth(position)).to_contain_text(row["stage"])
        expect(rows.nth(position)).to_contain_text(whole_money(row["by_stage_probability"]))
        expect(rows.nth(position)).to_contain_text(whole_money(row["by_model"]))


def test_an_admin_creates_churn_follow_ups_once(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    open_page(page, f"{app_url}/insights")
    page.get_by_role("tab", name="Churn risk").click()
    expect(page.get_by_test_id("churn-row").first).to_be_visible(timeout=FIT_WAIT_MS)
    expect(page.get_by_test_id("headline-churn")).to_contain_text("most likely to place no order in the next")
    owned = page.get_by_test_id("churn-row").filter(has_not_text="no owner").first
    owned.get_by_role("checkbox").click()
    page.get_by_role("button", name="Create follow-up tasks").click()
    expect(page.get_by_text("Created 1 follow-up task(s) for the owners.")).to_be_visible()

    owned.get_by_role("checkbox").click()
    page.get_by_role("button", name="Create follow-up tasks").click()
    expect(page.get_by_text("Created 0 follow-up task(s) for the owners (1 already had one open).")).to_be_visible()


def test_a_sales_rep_is_refused(new_context, app_url):
    page = new_context().new_page()
    sign_in(page, app_url, "rep1@example.com", "demo-rep1-2026")
    expect(page.get_by_test_id("nav-insights")).to_have_count(0)
    open_page(page, f"{app_url}/insights")
    expect(page.get_by_text("You do not have access to this.")).to_be_visible()
    expect(page).to_have_url(path_is(app_url, "/"))
    expect(page.get_by_test_id("quality-overall")).to_have_count(0)
