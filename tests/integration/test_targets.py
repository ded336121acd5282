"""KPI targets by scope: set from the cockpit for the scope on screen, imported from a CSV (all or nothing), read
back for the view that matches, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from crm_app.cli import main
from crm_app.data.models import AuditLog, Customer, KpiTarget
from crm_app.data.permissions import PermissionDenied
from crm_app.data.repositories import targets
from crm_app.data.repositories.users import actor_of
from crm_app.settings import get_settings
from tests.conftest import add_staff

JAN_1, JAN_31 = date(2026, 1, 1), date(2026, 1, 31)


@pytest.fixture
def staff(engine):
    with Session(engine) as session:
        people = add_staff(session)
        session.add_all([Customer(name="Ada", region="EMEA", segment="SMB", acquisition_channel="event"),
                         Customer(name="Bo", region="APAC", segment="Enterprise", acquisition_channel="event")])
        session.commit()
        return {name: (actor_of(user), user.id) for name, user in people.items()}


@pytest.fixture
def cli(engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def _stored(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(KpiTarget).order_by(KpiTarget.kpi, KpiTarget.scope, KpiTarget.scope_value)).all()
        return [(r.kpi, r.scope, r.scope_value, r.period_start, r.period_end, r.target_value) for r in rows]


def test_a_target_is_checked_and_stored_for_its_scope(engine, staff):
    executive, rep = staff["exec"][0], staff["rep"][0]
    with Session(engine) as session:
        csat = targets.checked_target(session=session, kpi="csat", scope="region", scope_value="EMEA",
                                      period_start=JAN_1, period_end=JAN_31, value="85")
        assert csat.target_value == pytest.approx(0.85)  # typed in percent, kept as a fraction
        own = targets.checked_target(session=session, kpi="revenue", scope="rep", scope_value="rep@example.com",
                                     period_start=JAN_1, period_end=JAN_31, value="1500000")
        assert own.scope_value == str(staff["rep"][1])
        for kpi, scope, value, number, message in [
            ("churn", "company", "", "1", "Choose one of the cockpit's KPIs."),
            ("revenue", "country", "FR", "1", "The scope is one of company, region, segment or rep."),
            ("revenue", "region", "Mars", "1", "Mars is not a region of any customer."),
            ("revenue", "rep", "exec@example.com", "1", "exec@example.com is not an active sales rep."),
            ("revenue", "company", "", "nan", "Enter the target as a number."),
            ("revenue", "company", "", "1e16", "Enter the target as a number."),
        ]:
            with pytest.raises(targets.TargetRefused, match=message):
                targets.checked_target(session=session, kpi=kpi, scope=scope, scope_value=value, period_start=JAN_1,
                                       period_end=JAN_31, value=number)
        with pytest.raises(PermissionDenied):
            targets.set_target(session=session, actor=rep, target=csat)
        targets.set_target(session=session, actor=executive, target=csat)
        targets.set_target(session=session, actor=executive, target=own)
        session.commit()
        frame = targets.targets_between(session=session, actor=rep, start=JAN_1, end=date(2026, 2, 1))
        audited = session.exec(select(AuditLog).where(AuditLog.entity == "kpi_target")).all()
    assert sorted(map(tuple, frame[["kpi", "scope", "scope_value"]].values.tolist())) == [
        ("csat", "region", "EMEA"), ("revenue", "rep", str(staff["rep"][1]))]
    assert [a.new_values["scope"] for a in audited] == ["region", "rep"]


def test_the_targets_csv_is_imported_whole_or_not_at_all(engine, staff, cli, tmp_path):
    good = tmp_path / "targets.csv"
    good.write_text("kpi,scope,scope_value,period_start,period_end,target\n"
                    "revenue,company,,2026-01-01,2026-01-31,2000000\n"
                    "revenue,region,EMEA,2026-01-01,2026-01-31,1200000\n"
                    "nps,segment,SMB,2026-01-01,2026-01-31,35\n"
                    "revenue,rep,rep@example.com,2026-01-01,2026-01-31,400000\n")
    preview = cli("import", "targets", str(good), "--as", "exec@example.com")
    assert (preview.exit_code, preview.output) == (
        0, "4 targets are correct. Nothing was written: run again with --commit.\n")
    assert _stored(engine) == []

    written = cli("import", "targets", str(good), "--as", "exec@example.com", "--commit")
    assert (written.exit_code, written.output) == (0, "4 targets written.\n")
    rep_id = str(staff["rep"][1])
    assert _stored(engine) == [
        ("nps", "segment", "SMB", JAN_1, JAN_31, 35.0),
        ("revenue", "company", "", JAN_1, JAN_31, 2_000_000.0),
        ("revenue", "region", "EMEA", JAN_1, JAN_31, 1_200_000.0),
        ("revenue", "rep", rep_id, JAN_1, JAN_31, 400_000.0),
    ]

    bad = tmp_path / "bad.csv"
    bad.write_text("kpi,scope,scope_value,period_start,period_end,target\n"
                   "revenue,region,APAC,2026-01-01,2026-01-31,900000\n"
                   "revenue,region,EMEA,2026-01-31,2026-01-01,1\n"
                   "win_rate,rep,nobody@example.com,2026-01-01,2026-01-31,40\n"
                   "orders,company,,2026-02-30,2026-03-31,10\n"
                   "revenue,region,APAC,2026-01-01,2026-01-31,800000\n")
    refused = cli("import", "targets", str(bad), "--as", "exec@example.com", "--commit")
    assert refused.exit_code == 1
    assert refused.output.splitlines() == [
        "Row 3: The period needs a first and a last day, the last on or after the first.",
        "Row 4: nobody@example.com is not an active sales rep.",
        "Row 5, column period_start: '2026-02-30' is not a date (YYYY-MM-DD).",
        "Row 6: the same target as row 2.",
        "Nothing was written: correct the rows above and run again.",
    ]
    assert len(_stored(engine)) == 4  # the good APAC row of the bad file was not written either

    header = tmp_path / "header.csv"
    header.write_text("kpi,region,target\nrevenue,EMEA,1\n")
    assert cli("import", "targets", str(header), "--as", "exec@example.com").output.splitlines()[0] == (
        "The header lacks the column(s) scope, scope_value, period_start, period_end; it needs kpi, scope, "
        "scope_value, period_start, period_end, target.")
    as_rep = cli("import", "targets", str(good), "--as", "rep@example.com", "--commit")
    assert as_rep.exit_code == 1 and "--as must name an active executive or admin." in as_rep.output
