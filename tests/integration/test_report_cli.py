"""`crm-app report …` on the demo company: the KPIs equal plain SQL + pandas sums, and the model reports run."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

from crm_app.cli import main
from crm_app.data.seed import seed_demo_company
from crm_app.settings import get_settings

AS_OF = date(2026, 5, 1)
# The report's default period: the 30 days before as_of, [2026-04-01, 2026-05-01).
START, END = pd.Timestamp("2026-04-01", tz="UTC"), pd.Timestamp("2026-05-01", tz="UTC")


@pytest.fixture
def report(engine, monkeypatch):
    seed_demo_company(engine=engine, seed=11, customers=150, orders=1_500, as_of=AS_OF)
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()

    def run(*args: str) -> dict:
        result = runner.invoke(main, ["report", *args, "--as-of", AS_OF.isoformat(), "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    return run


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601") if values.map(type).eq(str).any() else pd.to_datetime(values, utc=True)


def _kpis_by_hand(engine, region: str | None) -> dict:
    where = "WHERE c.region = %s" % ("'" + region + "'") if region else ""
    orders = pd.read_sql(f"""SELECT o.id, o.customer_id, o.status, o.ordered_at, o.total_amount
                             FROM sales_order o JOIN customer c ON c.id = o.customer_id {where}""", engine)
    lines = pd.read_sql("SELECT order_id, quantity FROM order_line", engine)
    deals = pd.read_sql(f"""SELECT d.stage, d.amount, d.probability, d.closed_at
                            FROM deal d JOIN customer c ON c.id = d.customer_id {where}""", engine)
    orders["ordered_at"] = _utc(orders["ordered_at"])
    paid = orders[orders["status"].isin(["paid", "shipped"])]
    period = paid[(paid["ordered_at"] >= START) & (paid["ordered_at"] < END)]
    first_orders = paid.groupby("customer_id")["ordered_at"].min()
    closed = deals[deals["closed_at"].notna()].copy()
    closed["closed_at"] = _utc(closed["closed_at"])
    closed = closed[(closed["closed_at"] >= START) & (closed["closed_at"] < END)]
    open_deals = deals[deals["stage"].isin(["Lead", "Qualified", "Proposal", "Negotiation"])]
    return {
        "revenue": period["total_amount"].sum(),
        "orders": len(period),
        "average_order_value": period["total_amount"].sum() / len(period),
        "units": lines.loc[lines["order_id"].isin(period["id"]), "quantity"].sum(),
        "active_customers": period["customer_id"].nunique(),
        "new_customers": ((first_orders >= START) & (first_orders < END)).sum(),
        "won_deals": (closed["stage"] == "Won").sum(),
        "lost_deals": (closed["stage"] == "Lost").sum(),
        "open_pipeline": open_deals["amount"].sum(),
        "weighted_pipeline": (open_deals["amount"] * open_deals["probability"]).sum(),
    }


def test_kpis_equal_plain_sums_over_the_database_with_and_without_a_filter(report, engine):
    everyone, emea = report("kpis"), report("kpis", "--region", "EMEA")

    for printed, region in ((everyone, None), (emea, "EMEA")):
        expected = _kpis_by_hand(engine, region)
        assert (printed["from"], printed["to"]) == ("2026-04-01", "2026-04-30")
        assert printed["filters"] == ({"region": region} if region else {})
        assert expected["orders"] > 0
        for name, value in expected.items():
            assert printed["kpis"][name] == pytest.approx(float(value), abs=0.005), (region, name)
    assert 0 < emea["kpis"]["revenue"] < everyone["kpis"]["revenue"]


def test_clv_prints_the_fitted_parameters_and_its_time_unit(report):
    printed = report("clv")
    assert set(printed["bgnbd"]) >= {"r", "alpha", "a", "b"}
    assert set(printed["gamma_gamma"]) >= {"p", "q", "gamma"}
    assert printed["time_unit"] == "week"
    assert all(value > 0 for value in (*[printed["bgnbd"][k] for k in ("r", "alpha", "a", "b")],
                                       *[printed["gamma_gamma"][k] for k in ("p", "q", "gamma")]))
    clvs = [row["clv"] for row in printed["top"]]
    assert clvs == sorted(clvs, reverse=True) and len(clvs) == min(50, printed["customers"])


def test_quality_and_segments_run_and_add_up(report):
    quality = report("quality")
    assert quality["customers"] == 150 and 0 < quality["overall"] <= 1
    assert {row["field"] for row in quality["fields"]} >= {"name", "email", "phone"}
    segments = report("segments")
    assert sum(row["customers"] for row in segments["segments"]) == segments["customers"]
    assert segments["clusters"]["k"] in [row["k"] for row in segments["clusters"]["silhouette"]]


def test_an_unknown_rep_is_refused(engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(main, ["report", "kpis", "--rep", "nobody@example.com"])
    assert result.exit_code == 1 and "No user with the email nobody@example.com" in result.output


def test_winprob_compares_the_model_with_stage_probabilities_and_weighs_the_open_deals_both_ways(report, engine):
    printed = report("winprob")
    deals = pd.read_sql("SELECT id, stage, amount, probability FROM deal", engine)
    open_deals = deals[deals["stage"].isin(["Lead", "Qualified", "Proposal", "Negotiation"])]

    assert [row["method"] for row in printed["comparison"]] == ["model", "stage_probability"]
    assert printed["train_deals"] + printed["test_deals"] == printed["closed_deals"] == len(deals) - len(open_deals)
    pipeline = {row["stage"]: row for row in printed["weighted_pipeline"]}
    for stage, rows in open_deals.groupby("stage"):
        assert pipeline[stage]["deals"] == len(rows)
        assert pipeline[stage]["by_stage_probability"] == pytest.approx((rows["amount"] * rows["probability"]).sum())
        scored = printed["open_deal_probabilities"][stage]
        assert sorted(map(int, scored)) == sorted(rows["id"])
        model = rows["amount"] * rows["id"].astype(str).map(scored)
        assert pipeline[stage]["by_model"] == pytest.approx(model.sum())
    assert pipeline["Total"]["by_model"] == pytest.approx(sum(pipeline[s]["by_model"] for s in pipeline if s != "Total"))

    text = CliRunner().invoke(main, ["report", "winprob", "--as-of", AS_OF.isoformat()]).output
    assert f"open deal probabilities: {len(open_deals):,} deals (listed with --json)" in text
    assert "stage_probability" in text and "by_model" in text


def test_kpis_json_carries_the_target_of_exactly_its_view(report, engine):
    from sqlmodel import Session, select

    from crm_app.data.models import KpiTarget

    with Session(engine) as session:
        april = [(t.scope, t.period_start, t.period_end, t.target_value) for t in session.exec(
            select(KpiTarget).where(KpiTarget.kpi == "revenue", KpiTarget.period_start <= date(2026, 4, 1),
                                    KpiTarget.period_end >= date(2026, 4, 30))).all()]
        session.add(KpiTarget(kpi="revenue", scope="region", scope_value="EMEA", period_start=date(2026, 4, 1),
                              period_end=date(2026, 4, 30), target_value=250_000.0))
        session.commit()
    # The demo company's revenue targets are the company's, by month.
    assert [t[:3] for t in april] == [("company", date(2026, 4, 1), date(2026, 4, 30))]
    company_target = april[0][3]

    everyone = report("kpis")["targets"]["revenue"]
    assert (everyone["target"], everyone["target_scope"]) == (company_target, "company")
    assert everyone["gap"] == pytest.approx(everyone["value"] - company_target)

    emea = report("kpis", "--region", "EMEA")
    revenue = emea["targets"]["revenue"]
    assert revenue["value"] == pytest.approx(emea["kpis"]["revenue"], abs=0.005)
    assert (revenue["target"], revenue["target_scope"]) == (250_000.0, "region EMEA")
    assert revenue["gap"] == pytest.approx(revenue["value"] - 250_000.0)
    assert revenue["status"] == ("good" if revenue["gap"] >= 0 else
                                 "warning" if -revenue["gap"] <= 12_500 else "bad")
    # No other KPI has an EMEA target, and a filtered view never borrows the company's.
    assert emea["targets"]["orders"] == {**emea["targets"]["orders"], "target": None,
                                         "target_scope": "no target for this view", "gap": None, "status": "none"}
    apac = report("kpis", "--region", "APAC")["targets"]["revenue"]
    assert (apac["target"], apac["status"]) == (None, "none")


@pytest.mark.parametrize("name", ["kpis", "segments", "clv", "churn", "forecast", "campaigns", "quality", "winprob"])
def test_every_report_reads_back_typed_from_its_json(report, name):
    """What the CLI prints and /insights stores is the typed result's JSON form, field for field: reading it back
    gives the same result (a builder adding a key its dataclass lacks, or the reverse, fails here)."""
    from crm_app.data.report_results import RESULT_TYPES, as_plain, stored_result

    printed = report(name)
    body = {key: value for key, value in printed.items() if key not in ("report", "filters", "targets")}
    typed = stored_result(name, body)
    assert isinstance(typed, RESULT_TYPES[name])
    assert as_plain(typed) == body
