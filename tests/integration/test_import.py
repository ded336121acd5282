"""CSV import of customers and orders, on SQLite and PostgreSQL: dry run, upsert by external_ref, bad rows, one transaction."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlmodel import Session, func, select

from crm_app.cli import main
from crm_app.data.models import AuditLog, Customer, Order, OrderLine, Product, Role, User
from crm_app.data.permissions import PermissionDenied
from crm_app.data.repositories import customers, imports
from crm_app.data.repositories.users import actor_of
from crm_app.settings import get_settings

CUSTOMERS_HEADER = "external_ref,name,email,phone,company,region,segment,channel,owner_email\n"
THREE_CUSTOMERS = CUSTOMERS_HEADER + (
    "N1,Ada Lovelace,ada@example.org,(415) 234-5678,Analytical Ltd,EMEA,SMB,referral,rep@example.com\n"
    "N2,Grace Hopper,,,,North America,Enterprise,event,\n"
    "N3,Alan Turing,alan@example.org,+1 212 555 0100,,emea,smb,Organic,other@example.com\n"
)
ORDERS_HEADER = "external_ref,customer_external_ref,ordered_at,sku,quantity,unit_price,discount,status,channel\n"
# O1 has two lines: 2 x 100.00 x (1 - 0.10) = 180.00 and 1 x 19.99 = 19.99, total 199.99.
TWO_ORDERS = ORDERS_HEADER + (
    "O1,C-REP,2026-03-31,LAP,2,100.00,10%,paid,online\n"
    "O1,C-REP,2026-03-31,MOUSE,1,19.99,,paid,online\n"
    "O2,C-REP,2026-04-01T09:30:00+02:00,MOUSE,3,20,0.05,,\n"
)


@pytest.fixture
def company(engine):
    """An admin, an executive, two reps, two products and one customer in each rep's book."""
    with Session(engine) as session:
        people = {name: User(email=f"{name}@example.com", full_name=name.title(), role=role, password_hash="x")
                  for name, role in [("admin", Role.admin), ("exec", Role.executive), ("rep", Role.sales_rep),
                                     ("other", Role.sales_rep)]}
        session.add_all(people.values())
        session.add_all([Product(sku="LAP", name="Laptop", category="Computers", list_price=100),
                         Product(sku="MOUSE", name="Mouse", category="Accessories", list_price=20)])
        session.flush()
        session.add_all([
            Customer(external_ref="C-REP", name="Rep's customer", region="EMEA", segment="SMB",
                     acquisition_channel="event", owner_id=people["rep"].id),
            Customer(external_ref="C-OTHER", name="Other's customer", region="APAC", segment="SMB",
                     acquisition_channel="event", owner_id=people["other"].id),
        ])
        session.commit()
        return {name: actor_of(user) for name, user in people.items()}


def _preview(engine, actor, kind, text):
    with Session(engine) as session:
        return imports.preview_import(session=session, actor=actor, kind=kind, text=text)


def _import(engine, actor, kind, text):
    with Session(engine) as session:
        report = imports.import_file(session=session, actor=actor, kind=kind, text=text)
        session.commit()
    return report


def _customers(engine) -> list[tuple]:
    with Session(engine) as session:
        return [tuple(row) for row in session.exec(
            select(Customer.external_ref, Customer.name, Customer.email, Customer.phone, Customer.company,
                   Customer.region, Customer.segment, Customer.acquisition_channel, Customer.owner_id,
                   Customer.updated_at).order_by(Customer.external_ref)).all()]


def _orders(engine) -> list[tuple]:
    with Session(engine) as session:
        return [tuple(row) for row in session.exec(
            select(Order.external_ref, Order.ordered_at, Order.status, Order.channel, Order.total_amount,
                   Order.updated_at, Product.sku, OrderLine.quantity, OrderLine.unit_price, OrderLine.discount,
                   OrderLine.id)
            .join(OrderLine, OrderLine.order_id == Order.id).join(Product, Product.id == OrderLine.product_id)
            .order_by(Order.external_ref, Product.sku)).all()]


def _imports_audited(engine) -> list[tuple]:
    with Session(engine) as session:
        return [(row.entity_id, row.action, row.new_values, row.actor_id) for row in
                session.exec(select(AuditLog).where(AuditLog.entity == "import").order_by(AuditLog.id)).all()]


def test_the_preview_writes_nothing_and_a_second_import_changes_nothing(engine, company):
    before = _customers(engine)
    preview = _preview(engine, company["admin"], "customers", THREE_CUSTOMERS)
    assert (preview.rows, preview.created, preview.updated, preview.unchanged, preview.problems) == (3, 3, 0, 0, [])
    assert preview.written is False and _customers(engine) == before

    first = _import(engine, company["admin"], "customers", THREE_CUSTOMERS)
    assert (first.created, first.updated, first.unchanged, first.written) == (3, 0, 0, True)
    imported = _customers(engine)
    by_ref = {row[0]: row for row in imported}
    # Phones in E.164, allowed values in their canonical spelling, owners by email, empty cells as NULL.
    assert by_ref["N1"][:9] == ("N1", "Ada Lovelace", "ada@example.org", "+14152345678", "Analytical Ltd", "EMEA",
                                "SMB", "referral", company["rep"].id)
    assert by_ref["N2"][2:5] == (None, None, None) and by_ref["N2"][8] is None
    assert by_ref["N3"][3:9] == ("+12125550100", None, "EMEA", "SMB", "organic", company["other"].id)

    second = _import(engine, company["admin"], "customers", THREE_CUSTOMERS)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert _customers(engine) == imported
    # One audit row for the batch that changed something, none for the one that did not.
    assert _imports_audited(engine) == [(1, "import_customers", {"kind": "customers", "rows": 3, "created": 3,
                                                                 "updated": 0, "unchanged": 0, "bad_rows": 0},
                                         company["admin"].id)]


def test_a_changed_row_updates_only_that_customer(engine, company):
    _import(engine, company["admin"], "customers", THREE_CUSTOMERS)
    before = {row[0]: row for row in _customers(engine)}
    changed = THREE_CUSTOMERS.replace("North America,Enterprise", "North America,Mid-Market")
    report = _import(engine, company["admin"], "customers", changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    after = {row[0]: row for row in _customers(engine)}
    assert after["N2"][6] == "Mid-Market" and after["N2"][9] > before["N2"][9]
    assert (after["N1"], after["N3"]) == (before["N1"], before["N3"])
    assert [entry[0] for entry in _imports_audited(engine)] == [1, 2]


def test_a_customer_export_imports_back_unchanged(engine, company):
    _import(engine, company["admin"], "customers", THREE_CUSTOMERS)
    with Session(engine) as session:
        exported = customers.export_customers(session=session, actor=company["admin"], query=customers.CustomerQuery())
    buffer = io.StringIO()
    csv.writer(buffer).writerows([customers.EXPORT_COLUMNS, *exported])
    report = _preview(engine, company["admin"], "customers", buffer.getvalue())
    assert (report.rows, report.created, report.updated, report.unchanged, report.problems) == (5, 0, 0, 5, [])

def test_bad_rows_are_reported_with_row_column_and_reason_and_skipped(engine, company):
    text = "\ufeff" + CUSTOMERS_HEADER.replace("owner_email", "Owner Email").replace("\n", ",notes\n") + (
        "B1,Good Row,,,,APAC,SMB,event,,whatever\n"
        "B2,Bad Email,not-an-email,,,APAC,SMB,event,,\n"
        "\n"
        "B4,Bad Region And Phone,,12,,Mars,SMB,event,,\n"
        "B1,Repeated,,,,APAC,SMB,event,,\n"
        "B6,Unknown Owner,,,,APAC,SMB,event,nobody@example.com,\n"
        ",,,,,APAC,Giant,event,,\n"
        "B8,Too Many Cells,,,,APAC,SMB,event,,,surprise\n"
        + "B9," + "x" * 201 + ",,,,APAC,SMB,event,,\n"
    )
    report = _import(engine, company["admin"], "customers", text)
    assert [str(problem) for problem in report.problems] == [
        "row 2, column email: is not a valid email address",
        "row 4, column phone: is not a valid phone number (numbers without +country code are read as US numbers)",
        "row 4, column region: is not allowed; use one of: EMEA, North America, LATAM, APAC",
        "row 5, column external_ref: repeats row 1",
        "row 6, column owner_email: is not the email of an active user",
        "row 7, column external_ref: is required",
        "row 7, column name: is required",
        "row 7, column segment: is not allowed; use one of: Enterprise, Mid-Market, SMB, Consumer",
        "row 8, column -: has 11 cells but the header names 10 columns",
        "row 9, column name: is longer than 200 characters",
    ]
    assert (report.rows, report.bad_rows, report.created, report.ignored_columns) == (8, 7, 1, ["notes"])
    assert [row[0] for row in _customers(engine)] == ["B1", "C-OTHER", "C-REP"]


def test_a_missing_required_column_refuses_the_file_once(engine, company):
    text = "external_ref,name,region,channel\nX1,No Segment,EMEA,event\nX2,Nor Here,EMEA,event\n"
    report = _import(engine, company["admin"], "customers", text)
    assert [str(problem) for problem in report.problems] == [
        "header, column segment: required column is missing from the header"]
    assert report.refused and report.summary() == "The file was not imported: fix its header first."
    assert len(_customers(engine)) == 2


def test_a_rep_imports_into_their_own_book_only(engine, company):
    text = CUSTOMERS_HEADER + (
        "R1,Mine By Default,,,,EMEA,SMB,event,\n"
        "R2,Mine By Email,,,,EMEA,SMB,event,REP@example.com\n"
        "R3,For Someone Else,,,,EMEA,SMB,event,other@example.com\n"
        "C-OTHER,Taken Over,,,,EMEA,SMB,event,\n"
    )
    report = _import(engine, company["rep"], "customers", text)
    assert [str(problem) for problem in report.problems] == [
        "row 3, column owner_email: sales reps import into their own book: leave it empty or give your own email",
        "row 4, column external_ref: already names a customer outside your book",
    ]
    owners = {row[0]: (row[1], row[8]) for row in _customers(engine)}
    assert owners["R1"][1] == owners["R2"][1] == company["rep"].id
    assert owners["C-OTHER"] == ("Other's customer", company["other"].id) and "R3" not in owners


def test_executives_cannot_import(engine, company):
    with pytest.raises(PermissionDenied):
        _preview(engine, company["exec"], "customers", THREE_CUSTOMERS)


def test_orders_with_several_lines_import_once_and_update_when_changed(engine, company):
    preview = _preview(engine, company["rep"], "orders", TWO_ORDERS)
    assert (preview.rows, preview.created, preview.problems, _orders(engine)) == (3, 2, [], [])
    report = _import(engine, company["rep"], "orders", TWO_ORDERS)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    rows = _orders(engine)
    assert [row[:5] + row[6:10] for row in rows] == [
        ("O1", datetime(2026, 3, 31, tzinfo=UTC), "paid", "online", 199.99, "LAP", 2, 100.0, 0.1),
        ("O1", datetime(2026, 3, 31, tzinfo=UTC), "paid", "online", 199.99, "MOUSE", 1, 19.99, 0.0),
        # 3 x 20 x (1 - 0.05) = 57.00; 09:30 at +02:00 is 07:30 UTC; status and channel default to paid, online.
        ("O2", datetime(2026, 4, 1, 7, 30, tzinfo=UTC), "paid", "online", 57.0, "MOUSE", 3, 20.0, 0.05),
    ]

    again = _import(engine, company["rep"], "orders", TWO_ORDERS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2) and _orders(engine) == rows

    changed = TWO_ORDERS.replace("O1,C-REP,2026-03-31,MOUSE,1,19.99", "O1,C-REP,2026-03-31,MOUSE,2,19.99")
    update = _import(engine, company["rep"], "orders", changed)
    assert (update.created, update.updated, update.unchanged) == (0, 1, 1)
    o1 = [row for row in _orders(engine) if row[0] == "O1"]
    # 180.00 + 2 x 19.99 = 219.98; the order's lines were replaced.
    assert [(row[4], row[6], row[7]) for row in o1] == [(219.98, "LAP", 2), (219.98, "MOUSE", 2)]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(OrderLine)).one() == 3


def test_bad_order_rows_skip_their_whole_order(engine, company):
    text = ORDERS_HEADER + (
        "O1,C-REP,2026-03-31,LAP,1,100,,,\n"
        "O1,C-REP,2026-03-31,NOPE,1,100,,,\n"
        "O2,C-REP,31/03/2026,LAP,0,-1,1.5,lost,fax\n"
        "O3,C-OTHER,2026-03-31,LAP,1,100,,,\n"
        "O4,C-REP,2026-03-31,LAP,1,100,,,\n"
        "O4,C-REP,2026-04-01,MOUSE,1,20,,,\n"
        "O5,C-REP,2026-03-31,MOUSE,1,20,25%,shipped,phone\n"
    )
    report = _import(engine, company["rep"], "orders", text)
    assert [str(problem) for problem in report.problems] == [
        "row 1, column external_ref: skipped with its order: row 2 of the same order is bad",
        "row 2, column sku: is not the SKU of a product in the catalogue",
        "row 3, column ordered_at: is not an ISO date or date-time, like 2026-03-31 or 2026-03-31T14:05:00+02:00",
        "row 3, column quantity: must be a whole number from 1 to 1,000,000",
        "row 3, column unit_price: must be from 0 to 999,999,999.99",
        "row 3, column discount: must be a fraction from 0 to 1 (0.1 is 10 %) or a percentage like 10%",
        "row 3, column status: is not allowed; use one of: pending, paid, shipped, cancelled, refunded",
        "row 3, column channel: is not allowed; use one of: online, store, phone, partner",
        "row 4, column customer_external_ref: names no customer in your book",
        "row 5, column external_ref: skipped with its order: row 6 of the same order is bad",
        "row 6, column ordered_at: differs from row 5 of the same order",
    ]
    assert (report.created, report.bad_rows) == (1, 6)
    assert [row[:5] for row in _orders(engine)] == [
        ("O5", datetime(2026, 3, 31, tzinfo=UTC), "shipped", "phone", 15.0)]


def test_a_failure_in_the_middle_of_the_write_leaves_nothing(engine, company, monkeypatch):
    def fail(*_args, **_kwargs):
        raise RuntimeError("disk full")

    # The orders and their lines are already written when the audit row fails.
    monkeypatch.setattr(imports, "_audit_batch", fail)
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    from crm_app.data.db import write_session

    with pytest.raises(RuntimeError, match="disk full"):
        with write_session() as session:
            imports.import_file(session=session, actor=company["admin"], kind="orders", text=TWO_ORDERS)
    assert _orders(engine) == [] and _imports_audited(engine) == []


@pytest.fixture
def cli(engine, monkeypatch, tmp_path):
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()

    def run(kind: str, text: str, *options: str):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        return runner.invoke(main, ["import", kind, str(path), *options], catch_exceptions=False)

    return run


def test_the_command_line_previews_lists_bad_rows_and_commits(cli, engine, company):
    text = THREE_CUSTOMERS + "N4,Bad Email,nope,,,APAC,SMB,event,\n"
    preview = cli("customers", text)
    assert preview.exit_code == 1
    assert preview.output.splitlines() == [
        "row 4, column email: is not a valid email address",
        "4 rows: 3 customers to create, 0 to update, 0 unchanged; 1 bad row skipped.",
        "Nothing was written: run again with --commit to write them.",
    ]
    assert len(_customers(engine)) == 2

    committed = cli("customers", text, "--commit", "--as", "admin@example.com")
    assert committed.exit_code == 1
    assert committed.output.splitlines()[-1] == "4 rows: 3 customers created, 0 updated, 0 unchanged; 1 bad row skipped."
    assert [row[0] for row in _customers(engine)] == ["C-OTHER", "C-REP", "N1", "N2", "N3"]
    assert _imports_audited(engine)[0][3] == company["admin"].id

    clean = cli("customers", THREE_CUSTOMERS, "--commit")
    assert clean.exit_code == 0 and clean.output == "3 rows: 0 customers created, 0 updated, 3 unchanged; 0 bad rows skipped.\n"


def test_the_command_line_imports_orders_as_a_rep_and_refuses_executives(cli, engine, company):
    done = cli("orders", TWO_ORDERS, "--commit", "--as", "rep@example.com")
    assert done.exit_code == 0 and "2 orders created" in done.output
    assert {row[0] for row in _orders(engine)} == {"O1", "O2"}
    refused = cli("orders", TWO_ORDERS, "--as", "exec@example.com")
    assert refused.exit_code == 1 and "--as must name an active admin or sales rep." in refused.output
    header = cli("orders", "external_ref,sku\nO9,LAP\n")
    assert header.exit_code == 1 and header.output.splitlines()[0] == (
        "header, column customer_external_ref: required column is missing from the header")
