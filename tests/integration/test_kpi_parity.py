"""Every cockpit KPI, for every kind of filter and three periods, three ways: the cockpit engine, `crm-app report
kpis --json` and a pandas computation written here from the raw tables (its own rules, not the app's code)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlmodel import Session

from crm_app.analytics.cockpit import KPIS, CockpitFilters, period_kpis, prepare_cockpit
from crm_app.cli import main
from crm_app.data.facts import load_facts
from crm_app.data.seed import seed_demo_company
from crm_app.settings import get_settings

AS_OF = date(2026, 5, 1)
# [first day, last day], both included
PERIODS = ((date(2026, 4, 1), date(2026, 4, 30)), (date(2026, 1, 1), date(2026, 3, 31)),
           (date(2025, 5, 1), date(2026, 4, 30)))
OPEN = ("Lead", "Qualified", "Proposal", "Negotiation")
# The report does not carry data quality (its duplicate flags look across all customers, not the view's):
# the cockpit's is checked against pandas alone.
REPORTED = tuple(kpi.key for kpi in KPIS if kpi.key != "data_quality")
FIELD_WEIGHTS = {"name": 2, "email": 2, "phone": 1, "company": 1, "region": 1, "segment": 1,
                 "acquisition_channel": 1, "owner_id": 1}


def _utc(values: pd.Series) -> pd.Series:
    if values.map(type).eq(str).any():
        return pd.to_datetime(values, utc=True, format="ISO8601")
    return pd.to_datetime(values, utc=True)


def _tables(engine) -> dict[str, pd.DataFrame]:
    read = lambda sql: pd.read_sql(sql, engine)  # noqa: E731
    tables = {
        "orders": read("SELECT id, customer_id, status, channel, ordered_at, total_amount FROM sales_order"),
        "lines": read("SELECT l.order_id, l.quantity, l.unit_price, l.discount, p.category "
                      "FROM order_line l JOIN product p ON p.id = l.product_id"),
        "customers": read("SELECT id, name, email, phone, company, region, segment, acquisition_channel, owner_id, "
                          "updated_at FROM customer"),
        "deals": read("SELECT customer_id, owner_id, stage, amount, probability, closed_at FROM deal"),
        "feedback": read("SELECT customer_id, csat, nps, submitted_at FROM feedback"),
        "campaigns": read("SELECT id, start_date, cost FROM campaign"),
        # The naive ROI counts the contacted targets; the holdout only measures uplift.
        "targets": read("SELECT campaign_id, customer_id, attributed_revenue FROM campaign_target "
                        "WHERE target_group = 'contacted'"),
    }
    for name, column in (("orders", "ordered_at"), ("deals", "closed_at"), ("feedback", "submitted_at"),
                         ("customers", "updated_at")):
        tables[name][column] = _utc(tables[name][column])
    tables["campaigns"]["start_date"] = pd.to_datetime(tables["campaigns"]["start_date"]).dt.date
    return tables


def _by_hand(t: dict[str, pd.DataFrame], view: dict, first: date, last: date) -> dict[str, float | None]:
    """The KPIs of [first, last] for `view` (region, segment, owner_id, channel, category), from the tables."""
    start, end = pd.Timestamp(first, tz="UTC"), pd.Timestamp(last + timedelta(days=1), tz="UTC")
    people = t["customers"]
    for name in ("region", "segment", "owner_id"):
        if view.get(name) is not None:
            people = people[people[name] == view[name]]
    mine = set(people["id"])
    orders = t["orders"][t["orders"]["status"].isin(["paid", "shipped"]) & t["orders"]["customer_id"].isin(mine)]
    if view.get("channel"):
        orders = orders[orders["channel"] == view["channel"]]
    if view.get("category"):
        lines = t["lines"][t["lines"]["category"] == view["category"]]
        cents = Decimal("0.01")
        net = {}
        for line in lines.itertuples():
            amount = (Decimal(int(line.quantity)) * Decimal(str(line.unit_price)) * (1 - Decimal(str(line.discount))))
            net[line.order_id] = net.get(line.order_id, Decimal(0)) + amount.quantize(cents, rounding=ROUND_HALF_UP)
        orders = orders[orders["id"].isin(net)].assign(total_amount=lambda o: o["id"].map(lambda i: float(net[i])))

    def between(frame, column, a, b):
        return frame[(frame[column] >= a) & (frame[column] < b)]

    now = between(orders, "ordered_at", start, end)
    before = between(orders, "ordered_at", start - (end - start), start)
    year = between(orders, "ordered_at", end - pd.DateOffset(years=1), end)
    base, active = set(before["customer_id"]), set(now["customer_id"])
    revenue = now["total_amount"].sum()
    per_customer = year["total_amount"].sum() / year["customer_id"].nunique() if len(year) else None

    feedback = between(t["feedback"], "submitted_at", start, end)
    if mine != set(t["customers"]["id"]):
        feedback = feedback[feedback["customer_id"].isin(mine)]
    csat, nps = feedback["csat"].dropna(), feedback["nps"].dropna()

    # a deal belongs to its customer's region and segment, and to the rep who owns the deal
    regional = t["customers"]
    for name in ("region", "segment"):
        if view.get(name) is not None:
            regional = regional[regional[name] == view[name]]
    deals = t["deals"][t["deals"]["customer_id"].isin(set(regional["id"]))]
    if view.get("owner_id") is not None:
        deals = deals[deals["owner_id"] == view["owner_id"]]
    open_deals = deals[deals["stage"].isin(OPEN)]
    closed = between(deals[deals["closed_at"].notna()], "closed_at", start, end)
    won, lost = (closed["stage"] == "Won").sum(), (closed["stage"] == "Lost").sum()

    started = t["campaigns"][(t["campaigns"]["start_date"] >= first) & (t["campaigns"]["start_date"] <= last)]
    cost = attributed = 0.0
    for campaign in started.itertuples():
        everyone = t["targets"][t["targets"]["campaign_id"] == campaign.id]
        seen = everyone[everyone["customer_id"].isin(mine)]
        if len(everyone):
            cost += campaign.cost * len(seen) / len(everyone)
        attributed += seen["attributed_revenue"].sum()

    return {
        "data_quality": _data_quality(t["customers"], mine, end),
        "revenue": revenue, "orders": len(now), "aov": revenue / len(now) if len(now) else None,
        "active_customers": len(active),
        "retention": len(base & active) / len(base) if base else None,
        "historical_value": None if per_customer is None else sum(per_customer / 1.1 ** k for k in (1, 2, 3)),
        "csat": (csat >= 4).mean() if len(csat) else None,
        "nps": 100 * ((nps >= 9).mean() - (nps <= 6).mean()) if len(nps) else None,
        "weighted_pipeline": (open_deals["amount"] * open_deals["probability"]).sum(),
        "win_rate": won / (won + lost) if won + lost else None,
        "campaign_roi": (attributed - cost) / cost if cost else None,
    }


def _data_quality(customers: pd.DataFrame, mine: set, end: pd.Timestamp) -> float:
    """0.5 × weighted share of fields filled + 0.25 × share without a duplicate (same email, any case, or same
    phone digits as another customer) + 0.25 × share updated in the year before the period's end."""
    filled = sum(weight * (customers[field].notna() & customers[field].astype(str).str.strip().ne(""))
                 for field, weight in FIELD_WEIGHTS.items()) / sum(FIELD_WEIGHTS.values())
    duplicated = pd.Series(False, index=customers.index)
    for key in (customers["email"].str.strip().str.lower(), customers["phone"].str.replace(r"\D", "", regex=True)):
        key = key.where(key.fillna("").ne(""))
        duplicated |= key.notna() & key.duplicated(keep=False)
    fresh = customers["updated_at"] >= end - pd.Timedelta(days=365)
    inside = customers["id"].isin(mine)
    return 0.5 * filled[inside].mean() + 0.25 * (1 - duplicated[inside].mean()) + 0.25 * fresh[inside].mean()


def _same(a, b) -> bool:
    if a is None or b is None or (isinstance(a, float) and np.isnan(a)):
        return a is None and b is None
    return float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-9)


def test_cockpit_report_and_pandas_agree_on_every_kpi_for_every_filter_and_period(engine, monkeypatch):
    seed_demo_company(engine=engine, seed=5, customers=300, orders=4_000, as_of=AS_OF)
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    tables = _tables(engine)
    rep = int(tables["customers"]["owner_id"].value_counts().idxmax())
    rep_email = pd.read_sql(f"SELECT email FROM app_user WHERE id = {rep}", engine)["email"].iloc[0]
    views = {
        "everything": ({}, []),
        "region": ({"region": "EMEA"}, ["--region", "EMEA"]),
        "segment": ({"segment": "SMB"}, ["--segment", "SMB"]),
        "rep": ({"owner_id": rep}, ["--rep", rep_email]),
        "category": ({"category": "Computers"}, ["--category", "Computers"]),
        "channel": ({"channel": "online"}, ["--channel", "online"]),
        "region and channel": ({"region": "North America", "channel": "store"},
                               ["--region", "North America", "--channel", "store"]),
    }
    with Session(engine) as session:
        cockpit = prepare_cockpit(load_facts(session), AS_OF)
    runner, wrong, compared = CliRunner(), [], 0
    for name, (view, options) in views.items():
        for first, last in PERIODS:
            end = last + timedelta(days=1)
            shown = period_kpis(cockpit, CockpitFilters(start=first, end=end, **view), first, end)
            printed = runner.invoke(main, ["report", "kpis", "--as-of", AS_OF.isoformat(), "--from", first.isoformat(),
                                           "--to", last.isoformat(), *options, "--json"], catch_exceptions=False)
            assert printed.exit_code == 0, printed.output
            reported = json.loads(printed.output)["figures"]
            expected = _by_hand(tables, view, first, last)
            for kpi in REPORTED:
                values = (shown[kpi].value, reported[kpi], expected[kpi])
                compared += 1
                if not (_same(values[0], values[2]) and _same(values[1], values[2])):
                    wrong.append(f"{name} {first}..{last} {kpi}: cockpit {values[0]}, report {values[1]}, "
                                 f"pandas {values[2]}")
            compared += 1
            if not _same(shown["data_quality"].value, expected["data_quality"]):
                wrong.append(f"{name} {first}..{last} data_quality: cockpit {shown['data_quality'].value}, "
                             f"pandas {expected['data_quality']}")
            assert expected["revenue"] > 0 and expected["orders"] > 0, (name, first)
    assert compared == len(views) * len(PERIODS) * (len(REPORTED) + 1)
    assert not wrong, "\n".join(wrong)
