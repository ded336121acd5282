"""CSV import of customers and orders: a dry run that names every bad row, then one transaction for the good ones.

Both the `crm-app import` command and the /import page call `preview_import` (reads only) and `import_file`
(writes the good rows in the caller's write session, with one audit row for the batch). Records are matched by
`external_ref`, so importing the same file twice changes nothing the second time.

Rows are numbered from 1 = the first data row (the line after the header). Every cell is checked; a bad row is
reported as `row N, column NAME: reason` and skipped, and the reasons never repeat what the file said.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import phonenumbers
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, func, select

from crm_app.analytics.orders import OrderLineValues, order_totals
from crm_app.counts import count_of
from crm_app.data.models import AuditLog, Customer, Order, OrderLine, Product, Role, User, utcnow
from crm_app.data.permissions import Actor, require_role
from crm_app.data.repositories import webhooks
from crm_app.data.repositories.audit import record_change
from crm_app.data.validation import whole_number
from crm_app.domain import ACQUISITION_CHANNELS, REGIONS, SEGMENTS, OrderStatus, SalesChannel, WebhookEvent
from crm_app.i18n import gettext

# Phone numbers written without a +country code are read as numbers of this country.
DEFAULT_PHONE_REGION = "US"
# Largest file the /import page accepts; the command line has no limit.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = 999_999_999.99

CUSTOMER_COLUMNS = ("external_ref", "name", "email", "phone", "company", "region", "segment", "channel", "owner_email")
CUSTOMER_REQUIRED = ("external_ref", "name", "region", "segment", "channel")
ORDER_COLUMNS = ("external_ref", "customer_external_ref", "ordered_at", "sku", "quantity", "unit_price", "discount",
                 "status", "channel")
ORDER_REQUIRED = ("external_ref", "customer_external_ref", "ordered_at", "sku", "quantity", "unit_price")
# The columns every line of one order repeats; they must agree.
ORDER_FIELDS = ("customer_external_ref", "ordered_at", "status", "channel")

_LOOKUP_CHUNK = 1_000
# Marks a row already reported as malformed, so no cell of it is imported.
_MALFORMED = "-malformed-"
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
# A cell the customer export protected from spreadsheets ('=..., '+...) comes back without its apostrophe.
_PROTECTED = re.compile(r"^'[=+\-@\t\r]")

Progress = Callable[[float], None]


class ImportKind(StrEnum):
    customers = "customers"
    orders = "orders"


@dataclass(frozen=True)
class RowProblem:
    """Why one cell of one row cannot be imported. Row 0 is the header: the whole file is refused."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = "header" if self.row == 0 else f"row {self.row}"
        return f"{where}, column {self.column}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did, or would do: records (customers or orders) created, updated, unchanged, and bad rows."""

    kind: ImportKind
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def bad_rows(self) -> int:
        return len({problem.row for problem in self.problems})

    @property
    def refused(self) -> bool:
        """The header itself is wrong: no row was read."""
        return any(problem.row == 0 for problem in self.problems)

    def summary(self) -> str:
        """One sentence for the terminal and the page."""
        record = "customer" if self.kind == ImportKind.customers else "order"
        if self.refused:
            return "The file was not imported: fix its header first."
        verb = ("created", "updated") if self.written else ("to create", "to update")
        return (f"{count_of(self.rows, 'row')}: {count_of(self.created, record)} {verb[0]}, {self.updated:,} {verb[1]}, "
                f"{self.unchanged:,} unchanged; {count_of(self.bad_rows, 'bad row')} skipped.")


def preview_import(
    *, session: Session, actor: Actor | None, kind: ImportKind, text: str, progress: Progress | None = None,
    phone_region: str = DEFAULT_PHONE_REGION,
) -> ImportReport:
    """The dry run: what importing `text` would create and update, and every bad row. Writes nothing.

    `actor` None is the operator at the command line, with an admin's rights.
    """
    return _plan(session, actor, ImportKind(kind), text, progress or _silent, phone_region).report


def import_file(
    *, session: Session, actor: Actor | None, kind: ImportKind, text: str, progress: Progress | None = None,
    phone_region: str = DEFAULT_PHONE_REGION,
) -> ImportReport:
    """Check `text` again and write its good rows in the caller's session, with one audit row for the batch.

    The caller's write_session commits everything or, on any error, nothing. A file that changes nothing
    writes nothing, not even the audit row.
    """
    progress = progress or _silent
    plan = _plan(session, actor, ImportKind(kind), text, _scaled(progress, 0.0, 0.5), phone_region)
    report = plan.report
    if report.created or report.updated:
        plan.write(session.connection(), _scaled(progress, 0.5, 1.0))
        plan.events(session)
        _audit_batch(session, actor, report)
    report.written = True
    progress(1.0)
    return report


# --- reading the file ----------------------------------------------------------------------------------------


def _silent(_fraction: float) -> None:
    return None


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    return lambda fraction: progress(start + (end - start) * min(max(fraction, 0.0), 1.0))


def _every(progress: Progress, rows: list, step: int = 2_000) -> Iterator[tuple[int, Any]]:
    """Enumerate rows from 1, reporting progress every `step` rows."""
    total = max(len(rows), 1)
    for number, row in enumerate(rows, start=1):
        if number % step == 0:
            progress(number / total)
        yield number, row


def _header_name(cell: str) -> str:
    return re.sub(r"\s+", "_", cell.strip().lower())


def _read(text: str, known: tuple[str, ...], required: tuple[str, ...], report: ImportReport) -> list[dict[str, str]]:
    """The data rows as {column: cell}, or [] with header problems in the report.

    A byte-order mark is dropped, header names are matched case-insensitively ("Owner Email" is owner_email),
    unknown columns are ignored and listed, and a row shorter than the header has empty cells at its end.
    Blank lines keep their row number but are skipped.
    """
    try:
        records = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error:
        report.problems.append(RowProblem(0, "-", gettext("this is not a readable CSV file (a cell is too long or a "
                                                         "quote is not closed)")))
        return []
    if not records:
        report.problems.append(RowProblem(0, "-", gettext("the file is empty")))
        return []
    header = [_header_name(cell) for cell in records[0]]
    seen: set[str] = set()
    for name in header:
        if name in known and name in seen:
            report.problems.append(RowProblem(0, name, gettext("appears twice in the header")))
        seen.add(name)
    for name in required:
        if name not in seen:
            report.problems.append(RowProblem(0, name, gettext("required column is missing from the header")))
    report.ignored_columns = [name for name in header if name and name not in known]
    if report.problems:
        return []
    positions = {name: index for index, name in enumerate(header) if name in known}
    rows: list[dict[str, str]] = []
    for number, record in enumerate(records[1:], start=1):
        if not any(cell.strip() for cell in record):
            rows.append({})
            continue
        row = {name: record[index].strip() if index < len(record) else "" for name, index in positions.items()}
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
            report.problems.append(RowProblem(number, "-", gettext("has {cells} cells but the header names {columns} "
                                                                   "columns", cells=len(record), columns=len(header))))
            row[_MALFORMED] = "yes"
        rows.append(row)
    report.rows = sum(1 for row in rows if row)
    return rows


# --- checking one cell -----------------------------------------------------------------------------------------


class _Bad(ValueError):
    """A cell that cannot be imported; the message is the reason shown to the user."""


def _text(cell: str, limit: int, *, required: bool = False) -> str | None:
    if _PROTECTED.match(cell):
        cell = cell[1:]
    if not cell:
        if required:
            raise _Bad(gettext("is required"))
        return None
    if len(cell) > limit:
        raise _Bad(gettext("is longer than {limit} characters", limit=limit))
    if any(ord(ch) < 32 for ch in cell):
        raise _Bad(gettext("contains control characters"))
    return cell


def _reference(cell: str) -> str:
    if not cell:
        raise _Bad(gettext("is required"))
    if not _REF.match(cell):
        raise _Bad(gettext("use 1-64 letters, digits and . _ : / -, starting with a letter or digit"))
    return cell


def _one_of(allowed: Iterable[str], default: str | None = None) -> Callable[[str], str]:
    """A check that a cell is one of `allowed`, in any letter case, giving back its canonical spelling."""
    allowed = tuple(allowed)
    canonical = {value.lower(): value for value in allowed}

    def check(cell: str) -> str:
        if not cell and default is not None:
            return default
        if not cell:
            raise _Bad(gettext("is required; use one of: {choices}", choices=", ".join(allowed)))
        if cell.lower() not in canonical:
            raise _Bad(gettext("is not allowed; use one of: {choices}", choices=", ".join(allowed)))
        return canonical[cell.lower()]

    return check


def _email(cell: str) -> str | None:
    if not cell:
        return None
    if len(cell) > 254:
        raise _Bad(gettext("is longer than {limit} characters", limit=254))
    try:
        # Lower-case, as the customer form stores it, so the duplicate check finds it.
        return validate_email(cell, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise _Bad(gettext("is not a valid email address")) from None


def _phone(cell: str, region: str) -> str | None:
    if not cell:
        return None
    if len(cell) > 40:
        raise _Bad(gettext("is longer than {limit} characters", limit=40))
    try:
        number = phonenumbers.parse(cell, region)
    except phonenumbers.NumberParseException:
        raise _Bad(gettext("is not a phone number")) from None
    if not phonenumbers.is_valid_number(number):
        raise _Bad(gettext("is not a valid phone number (numbers without +country code are read as {region} numbers)",
                           region=region))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _moment(cell: str) -> datetime:
    if not cell:
        raise _Bad(gettext("is required"))
    try:
        moment = datetime.fromisoformat(cell)
    except ValueError:
        raise _Bad(gettext("is not an ISO date or date-time, like 2026-03-31 or 2026-03-31T14:05:00+02:00")) from None
    if not 1970 <= moment.year <= 2100:
        raise _Bad(gettext("is not between the years 1970 and 2100"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _number(cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise _Bad(gettext("is not a number")) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _Bad(gettext("is not a number"))
    return value


def _quantity(cell: str) -> int:
    if not cell:
        raise _Bad(gettext("is required"))
    quantity = whole_number(cell)
    if quantity is None or not 0 < quantity <= MAX_QUANTITY:
        raise _Bad(gettext("must be a whole number from 1 to {limit}", limit=f"{MAX_QUANTITY:,}"))
    return quantity


def _unit_price(cell: str) -> float:
    if not cell:
        raise _Bad(gettext("is required"))
    value = _number(cell)
    if not 0 <= value <= MAX_UNIT_PRICE:
        raise _Bad(gettext("must be from 0 to {limit}", limit=f"{MAX_UNIT_PRICE:,.2f}"))
    return round(value, 2)


def _discount(cell: str) -> float:
    """A fraction 0-1 (0.1 is 10 %) or a percentage with its sign (10%)."""
    if not cell:
        return 0.0
    percent = cell.endswith("%")
    value = _number(cell.removesuffix("%").strip()) / (100 if percent else 1)
    if not 0 <= value <= 1:
        raise _Bad(gettext("must be a fraction from 0 to 1 (0.1 is 10 %) or a percentage like 10%"))
    return round(value, 4)


def _checked(number: int, row: dict[str, str], checks: dict[str, Callable[[str], Any]],
             problems: list[RowProblem]) -> dict[str, Any] | None:
    """The row's values after every check, or None when any cell is bad (each bad cell is reported)."""
    values: dict[str, Any] = {}
    bad = _MALFORMED in row
    for column, check in checks.items():
        try:
            values[column] = check(row.get(column, ""))
        except _Bad as reason:
            problems.append(RowProblem(number, column, str(reason)))
            bad = True
    return None if bad else values


def _chunks(items: list, size: int = _LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- planning ----------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    report: ImportReport
    write: Callable[[sa.Connection, Progress], None]
    # After the write, in the same transaction: the webhook events of what was created and changed.
    events: Callable[[Session], None]


def _plan(session: Session, actor: Actor | None, kind: ImportKind, text: str, progress: Progress,
          phone_region: str) -> _Plan:
    if actor is not None:
        require_role(actor, Role.admin, Role.sales_rep)
    if kind == ImportKind.customers:
        return _plan_customers(session, actor, text, progress, phone_region)
    return _plan_orders(session, actor, text, progress)


def _is_rep(actor: Actor | None) -> bool:
    return actor is not None and actor.role == Role.sales_rep


_CUSTOMER_FIELDS = ("name", "email", "phone", "company", "region", "segment", "acquisition_channel", "owner_id")


def _plan_customers(session: Session, actor: Actor | None, text: str, progress: Progress, phone_region: str) -> _Plan:
    report = ImportReport(kind=ImportKind.customers)
    rows = _read(text, CUSTOMER_COLUMNS, CUSTOMER_REQUIRED, report)
    owners = {email.lower(): user_id for user_id, email in
              session.exec(select(User.id, User.email).where(User.is_active.is_(True))).all()}
    checks = {
        "external_ref": _reference,
        "name": lambda cell: _text(cell, 200, required=True),
        "email": _email,
        "phone": lambda cell: _phone(cell, phone_region),
        "company": lambda cell: _text(cell, 200),
        "region": _one_of(REGIONS),
        "segment": _one_of(SEGMENTS),
        "channel": _one_of(ACQUISITION_CHANNELS),
        "owner_email": lambda cell: cell.lower(),
    }
    wanted: dict[str, tuple[int, dict[str, Any]]] = {}
    for number, row in _every(_scaled(progress, 0, 0.8), rows):
        values = _checked(number, row, checks, report.problems) if row else None
        if values is None:
            continue
        owner_id = _owner_for(actor, values.pop("owner_email"), owners, number, report.problems)
        if owner_id is False:
            continue
        ref = values.pop("external_ref")
        if ref in wanted:
            report.problems.append(RowProblem(number, "external_ref", gettext("repeats row {row}", row=wanted[ref][0])))
            continue
        values["acquisition_channel"] = values.pop("channel")
        wanted[ref] = (number, values | {"owner_id": owner_id})

    existing = _existing_customers(session, list(wanted))
    progress(0.9)
    inserts, updates = [], []
    for ref, (number, values) in wanted.items():
        current = existing.get(ref)
        if current is None:
            inserts.append({"external_ref": ref, **values})
        elif _is_rep(actor) and current["owner_id"] != actor.id:
            report.problems.append(RowProblem(number, "external_ref",
                                              gettext("already names a customer outside your book")))
        elif any(current[name] != values[name] for name in _CUSTOMER_FIELDS):
            updates.append({"target_id": current["id"], **values})
        else:
            report.unchanged += 1
    report.created, report.updated = len(inserts), len(updates)
    report.problems.sort(key=lambda problem: problem.row)
    progress(1.0)
    return _Plan(report, lambda connection, write_progress: _write_customers(connection, inserts, updates,
                                                                             write_progress),
                 lambda events_session: _customer_events(events_session, [row["external_ref"] for row in inserts],
                                                         [row["target_id"] for row in updates]))


def _owner_for(actor: Actor | None, email: str, owners: dict[str, int], number: int,
               problems: list[RowProblem]) -> int | None | bool:
    """The owner's user id (None: no owner), or False after reporting why the row cannot have that owner."""
    if _is_rep(actor):
        if email and email != actor.email.lower():
            problems.append(RowProblem(number, "owner_email", gettext("sales reps import into their own book: leave it "
                                                                      "empty or give your own email")))
            return False
        return actor.id
    if not email:
        return None
    if email not in owners:
        problems.append(RowProblem(number, "owner_email", gettext("is not the email of an active user")))
        return False
    return owners[email]


def _existing_customers(session: Session, refs: list[str]) -> dict[str, dict[str, Any]]:
    columns = (Customer.id, Customer.external_ref, *(getattr(Customer, name) for name in _CUSTOMER_FIELDS))
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(refs):
        for row in session.exec(select(*columns).where(Customer.external_ref.in_(chunk))).all():
            found[row.external_ref] = row._asdict()
    return found


def _write_customers(connection: sa.Connection, inserts: list[dict], updates: list[dict], progress: Progress) -> None:
    table, now = Customer.__table__, utcnow()
    if inserts:
        connection.execute(sa.insert(table), [row | {"consent_email": False, "consent_phone": False,
                                                    "created_at": now, "updated_at": now} for row in inserts])
    progress(0.5)
    if updates:
        connection.execute(sa.update(table).where(table.c.id == sa.bindparam("target_id")),
                           [row | {"updated_at": now} for row in updates])
    progress(1.0)


def _customer_events(session: Session, created_refs: list[str], updated_ids: list[int]) -> None:
    """customer.created for the inserted rows, customer.updated for the rewritten ones."""
    columns = [getattr(Customer, name) for name in webhooks.CUSTOMER_FIELDS]
    for created, key, values in ((True, Customer.external_ref, created_refs), (False, Customer.id, updated_ids)):
        event = WebhookEvent.customer_created if created else WebhookEvent.customer_updated
        if not values or not webhooks.subscribed(session=session, event=event):
            continue
        for chunk in _chunks(values):
            webhooks.customer_changed(session=session, created=created, customers=session.exec(
                select(*columns).where(key.in_(chunk)).order_by(Customer.id)).all())


# --- orders ---------------------------------------------------------------------------------------------------------


@dataclass
class _OrderDraft:
    """One order of the file: its first row's order fields and every line, by row number."""

    first_row: int
    fields: dict[str, Any]
    lines: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    bad_rows: list[int] = field(default_factory=list)


def _plan_orders(session: Session, actor: Actor | None, text: str, progress: Progress) -> _Plan:
    report = ImportReport(kind=ImportKind.orders)
    rows = _read(text, ORDER_COLUMNS, ORDER_REQUIRED, report)
    products = dict(session.exec(select(Product.sku, Product.id)).all())
    drafts = _order_drafts(rows, products, report.problems, _scaled(progress, 0, 0.7))
    customers = _customers_by_ref(session, sorted({d.fields["customer_external_ref"] for d in drafts.values()
                                                   if not d.bad_rows}))
    existing = _existing_orders(session, [ref for ref, d in drafts.items() if not d.bad_rows])
    progress(0.85)
    new_orders, changed_orders = [], []
    for ref, draft in drafts.items():
        if draft.bad_rows:
            _skip_with_bad_line(draft, report.problems)
            continue
        customer = customers.get(draft.fields["customer_external_ref"])
        if customer is None or (_is_rep(actor) and customer["owner_id"] != actor.id):
            reason = gettext("names no customer in your book") if _is_rep(actor) else gettext("names no customer")
            report.problems.extend(RowProblem(number, "customer_external_ref", reason) for number, _ in draft.lines)
            continue
        current = existing.get(ref)
        if current is not None and _is_rep(actor) and current["owner_id"] != actor.id:
            reason = gettext("already names an order outside your book")
            report.problems.extend(RowProblem(number, "external_ref", reason) for number, _ in draft.lines)
            continue
        lines = [line for _, line in draft.lines]
        order = {"customer_id": customer["id"], "ordered_at": draft.fields["ordered_at"],
                 "status": draft.fields["status"], "channel": draft.fields["channel"]}
        if current is None:
            new_orders.append(({"external_ref": ref, **order}, lines))
        elif _same_order(current, order, lines):
            report.unchanged += 1
        else:
            changed_orders.append(({"target_id": current["id"], **order}, lines))
    report.created, report.updated = len(new_orders), len(changed_orders)
    report.problems.sort(key=lambda problem: problem.row)
    progress(1.0)
    return _Plan(report, lambda connection, write_progress: _write_orders(connection, new_orders, changed_orders,
                                                                          write_progress),
                 lambda events_session: _order_events(events_session, [order["external_ref"] for order, _ in new_orders]))


def _order_drafts(rows: list[dict[str, str]], products: dict[str, int], problems: list[RowProblem],
                  progress: Progress) -> dict[str, _OrderDraft]:
    """The file's orders by external_ref, each with its checked lines and the numbers of its bad rows."""
    checks = {
        "external_ref": _reference,
        "customer_external_ref": _reference,
        "ordered_at": _moment,
        "sku": lambda cell: _known_sku(cell, products),
        "quantity": _quantity,
        "unit_price": _unit_price,
        "discount": _discount,
        "status": _one_of([status.value for status in OrderStatus], default=OrderStatus.paid.value),
        "channel": _one_of([channel.value for channel in SalesChannel], default=SalesChannel.online.value),
    }
    drafts: dict[str, _OrderDraft] = {}
    for number, row in _every(progress, rows):
        if not row:
            continue
        values = _checked(number, row, checks, problems)
        ref = row.get("external_ref", "")
        draft = drafts.get(ref)
        if values is None:
            if draft is None and _REF.match(ref):
                drafts[ref] = draft = _OrderDraft(first_row=number, fields={})
            if draft is not None:
                draft.bad_rows.append(number)
            continue
        fields = {name: values[name] for name in ORDER_FIELDS}
        if draft is None:
            drafts[ref] = draft = _OrderDraft(first_row=number, fields=fields)
        elif not draft.fields:
            draft.fields = fields
        elif fields != draft.fields:
            differing = next(name for name in ORDER_FIELDS if fields[name] != draft.fields[name])
            problems.append(RowProblem(number, differing,
                                       gettext("differs from row {row} of the same order", row=draft.first_row)))
            draft.bad_rows.append(number)
            continue
        draft.lines.append((number, {"product_id": products[values["sku"]], "quantity": values["quantity"],
                                     "unit_price": values["unit_price"], "discount": values["discount"]}))
    return drafts


def _known_sku(cell: str, products: dict[str, int]) -> str:
    if not cell:
        raise _Bad(gettext("is required"))
    if cell not in products:
        raise _Bad(gettext("is not the SKU of a product in the catalogue"))
    return cell


def _skip_with_bad_line(draft: _OrderDraft, problems: list[RowProblem]) -> None:
    """An order is imported whole or not at all: its good lines are reported as skipped with it."""
    first_bad = min(draft.bad_rows)
    reason = gettext("skipped with its order: row {row} of the same order is bad", row=first_bad)
    problems.extend(RowProblem(number, "external_ref", reason) for number, _ in draft.lines)


def _customers_by_ref(session: Session, refs: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(refs):
        for row in session.exec(select(Customer.id, Customer.external_ref, Customer.owner_id)
                                .where(Customer.external_ref.in_(chunk))).all():
            found[row.external_ref] = row._asdict()
    return found


def _existing_orders(session: Session, refs: list[str]) -> dict[str, dict[str, Any]]:
    """Orders already imported under these references, with their lines and their customer's owner."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(refs):
        rows = session.exec(
            select(Order.id, Order.external_ref, Order.customer_id, Order.ordered_at, Order.status, Order.channel,
                   Customer.owner_id)
            .join(Customer, Customer.id == Order.customer_id).where(Order.external_ref.in_(chunk))
        ).all()
        by_id = {row.id: row._asdict() | {"lines": []} for row in rows}
        if not by_id:
            continue
        for line in session.exec(select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity,
                                        OrderLine.unit_price, OrderLine.discount)
                                 .where(OrderLine.order_id.in_(list(by_id)))).all():
            by_id[line.order_id]["lines"].append(_line_key(line._asdict()))
        found.update({order["external_ref"]: order for order in by_id.values()})
    return found


def _line_key(line: dict[str, Any]) -> tuple:
    return (line["product_id"], line["quantity"], round(float(line["unit_price"]), 2),
            round(float(line["discount"]), 4))


def _same_order(current: dict[str, Any], order: dict[str, Any], lines: list[dict[str, Any]]) -> bool:
    """Same customer, time, status, channel and lines. The total follows from the lines, so it is not compared:
    a total stored with another rounding rule is no reason to rewrite the order."""
    return (current["customer_id"] == order["customer_id"] and current["ordered_at"] == order["ordered_at"]
            and current["status"] == order["status"] and current["channel"] == order["channel"]
            and sorted(current["lines"]) == sorted(_line_key(line) for line in lines))


def _write_orders(connection: sa.Connection, new_orders: list, changed_orders: list, progress: Progress) -> None:
    """Insert the new orders and read their ids back by reference, then rewrite changed orders and their lines."""
    orders, lines, now = Order.__table__, OrderLine.__table__, utcnow()
    new_lines: list[dict] = []
    for done, chunk in enumerate(_chunks(new_orders, 5_000), start=1):
        connection.execute(sa.insert(orders), [order | {"total_amount": _total(order_lines), "created_at": now,
                                                        "updated_at": now} for order, order_lines in chunk])
        ids: dict[str, int] = {}
        for refs in _chunks([order["external_ref"] for order, _ in chunk]):
            ids.update(connection.execute(select(orders.c.external_ref, orders.c.id)
                                          .where(orders.c.external_ref.in_(refs))).all())
        new_lines.extend(line | {"order_id": ids[order["external_ref"]]} for order, order_lines in chunk
                         for line in order_lines)
        progress(0.5 * min(done * 5_000 / len(new_orders), 1.0))
    if changed_orders:
        connection.execute(sa.update(orders).where(orders.c.id == sa.bindparam("target_id")),
                           [order | {"total_amount": _total(order_lines), "updated_at": now}
                            for order, order_lines in changed_orders])
        for chunk in _chunks([order["target_id"] for order, _ in changed_orders]):
            connection.execute(sa.delete(lines).where(lines.c.order_id.in_(chunk)))
        new_lines.extend(line | {"order_id": order["target_id"]} for order, order_lines in changed_orders
                         for line in order_lines)
    progress(0.6)
    for done, chunk in enumerate(_chunks(new_lines, 20_000), start=1):
        connection.execute(sa.insert(lines), chunk)
        progress(0.6 + 0.4 * min(done * 20_000 / len(new_lines), 1.0))


def _order_events(session: Session, refs: list[str]) -> None:
    """order.created for the inserted orders (a rewritten order is no new order)."""
    if not refs or not webhooks.subscribed(session=session, event=WebhookEvent.order_created):
        return
    ids = [order_id for chunk in _chunks(refs)
           for order_id in session.exec(select(Order.id).where(Order.external_ref.in_(chunk))).all()]
    webhooks.orders_created(session=session, order_ids=sorted(ids))


def _total(lines: list[dict[str, Any]]) -> float:
    return order_totals(OrderLineValues(line["quantity"], line["unit_price"], line["discount"])
                        for line in lines).total_amount


def _audit_batch(session: Session, actor: Actor | None, report: ImportReport) -> None:
    """One audit row per import: the batch number is the entity id, the counts are the new values."""
    last = session.exec(select(func.max(AuditLog.entity_id)).where(AuditLog.entity == "import")).one()
    record_change(
        session=session, actor_id=actor.id if actor else None, entity="import", entity_id=(last or 0) + 1,
        action=f"import_{report.kind.value}",
        new={"kind": report.kind.value, "rows": report.rows, "created": report.created, "updated": report.updated,
             "unchanged": report.unchanged, "bad_rows": report.bad_rows},
    )
