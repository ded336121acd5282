"""Erase time of one person on a demo-sized database (the demo company with its insights fitted).

    python -m benchmarks.privacy_erase [--customers 2000] [--orders 20000] [--erases 5] [--database-url URL] [--json]

Without --database-url it seeds a temporary SQLite file; a PostgreSQL URL must name an empty database (it is
seeded). Before each erase, a task note on another customer mentions the person (name, email, and phone written
as `(415) 853-4038` would be). Each erase is timed in two parts: inside the transaction (finding and redacting
every mention) and after it (commit, then leaving no copy: SQLite truncates the WAL; PostgreSQL waits for older
transactions and rewrites the changed tables with VACUUM FULL). The same erase without `overwrite_freed`, on
other customers, shows what leaving no copy costs. Medians are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import phonenumbers
from sqlmodel import Session, select

from benchmarks.served_app import migrate
from crm_app.data.db import engine_for, write_session
from crm_app.data.erasing import erase_customer
from crm_app.data.insights_refresh import refresh_insights
from crm_app.data.models import Activity, Customer, Role, User
from crm_app.data.repositories.users import actor_of
from crm_app.data.seed import DEFAULT_AS_OF, seed_demo_company
from crm_app.settings import get_settings


def _people_to_erase(session: Session, count: int) -> list[int]:
    """Customers with a name, email and phone, each given a mention in a note on another customer's task."""
    people = session.exec(select(Customer).where(Customer.email.is_not(None), Customer.phone.is_not(None))
                          .order_by(Customer.id).limit(count)).all()
    notes = session.exec(select(Activity).where(Activity.customer_id.not_in([person.id for person in people]))
                         .order_by(Activity.id).limit(count)).all()
    for person, task in zip(people, notes, strict=True):
        national = phonenumbers.format_number(phonenumbers.parse(person.phone),
                                              phonenumbers.PhoneNumberFormat.NATIONAL)
        task.notes = f"{task.notes or ''} Referred by {person.name} ({person.email}, {national})."
        session.add(task)
    session.commit()
    return [person.id for person in people]


def _timed_erase(customer_id: int, *, overwrite_freed: bool) -> tuple[float, float]:
    """Seconds inside the erase's transaction, and seconds of its commit and after."""
    started = time.perf_counter()
    with write_session(overwrite_freed=overwrite_freed) as session:
        admin = session.exec(select(User).where(User.role == Role.admin).order_by(User.id)).first()
        erase_customer(session=session, actor=actor_of(admin), customer_id=customer_id)
        session.flush()
        inside = time.perf_counter()
    return inside - started, time.perf_counter() - inside


def run(database_url: str | None, customers: int, orders: int, erases: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        engine = engine_for(url)
        seed_demo_company(engine=engine, customers=customers, orders=orders)
        get_settings().database_url = url
        refresh_insights(as_of=DEFAULT_AS_OF)  # the stored model results an erase scrubs too
        with Session(engine) as session:
            people = _people_to_erase(session, 2 * erases)
        leaving_no_copy = [_timed_erase(person, overwrite_freed=True) for person in people[:erases]]
        plain = [_timed_erase(person, overwrite_freed=False) for person in people[erases:]]
        engine.dispose()

    def median_ms(values) -> float:
        return round(1000 * statistics.median(values), 1)

    return {
        "database": "sqlite" if url.startswith("sqlite") else "postgresql",
        "customers": customers,
        "orders": orders,
        "erases": erases,
        "transaction_ms": median_ms([inside for inside, _ in leaving_no_copy]),
        "commit_and_no_copy_ms": median_ms([after for _, after in leaving_no_copy]),
        "total_ms": median_ms([inside + after for inside, after in leaving_no_copy]),
        "total_without_overwrite_freed_ms": median_ms([inside + after for inside, after in plain]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--erases", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.database_url, args.customers, args.orders, args.erases)
    print(json.dumps(figures) if args.json else "\n".join(f"{key:>34}: {value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
