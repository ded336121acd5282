"""The crm-app command: set-up, demo data and administration from the terminal."""

from __future__ import annotations

import sys

import click
from sqlmodel import func, select

from crm_app.settings import PROJECT_ROOT, get_settings


def _alembic_config():
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", get_settings().database_url)
    return config


@click.group()
def main() -> None:
    """crm_app: customers, orders, pipeline, feedback and the evaluation cockpit."""


@main.command()
def migrate() -> None:
    """Apply every pending migration to CRM_DATABASE_URL."""
    from alembic import command

    command.upgrade(_alembic_config(), "head")


@main.command()
@click.option("--seed", "seed_value", default=7, show_default=True, help="Random seed: same seed, same company.")
@click.option("--customers", default=2_000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--orders", default=20_000, show_default=True, type=click.IntRange(0, 10_000_000))
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day of the demo history (default: today, UTC). Same seed and as-of, same company.")
def seed(seed_value: int, customers: int, orders: int, as_of) -> None:
    """Load a deterministic demo company into a migrated, empty database."""
    from crm_app.data.db import get_engine
    from crm_app.data.seed import seed_demo_company

    try:
        summary = seed_demo_company(
            engine=get_engine(), seed=seed_value, customers=customers, orders=orders,
            as_of=as_of.date() if as_of else _today(),
        )
    except RuntimeError as refused:
        raise click.ClickException(str(refused)) from refused
    click.echo(summary.describe())
    _fit_feedback_topics()
    _print_demo_logins()


@main.command()
def setup() -> None:
    """Migrate, then load the demo company when the database has no users and CRM_DEMO_DATA is on."""
    from alembic import command

    from crm_app.data.db import get_engine, read_session
    from crm_app.data.models import User

    command.upgrade(_alembic_config(), "head")
    with read_session() as session:
        users = session.exec(select(func.count()).select_from(User)).one()
    if users == 0 and get_settings().demo_data:
        from crm_app.data.seed import seed_demo_company

        click.echo("Empty database: loading the demo company ...")
        click.echo(seed_demo_company(engine=get_engine(), as_of=_today()).describe())
        _fit_feedback_topics()
    if get_settings().demo_data:
        _print_demo_logins()


@main.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.password_option(help="At least 10 characters; asked for when not given.")
def create_admin(email: str, full_name: str, password: str) -> None:
    """Create an admin user, for example the first one of a real installation."""
    from pydantic import ValidationError

    from crm_app.data.db import write_session
    from crm_app.data.models import Role, UserCreate
    from crm_app.data.repositories.users import EmailTaken, create_user
    from crm_app.data.validation import field_errors

    try:
        user_create = UserCreate(email=email, full_name=full_name, role=Role.admin, password=password)
        with write_session() as session:
            create_user(session=session, actor=None, user_create=user_create)
    except ValidationError as error:
        problems = "; ".join(f"{field}: {message}" for field, message in field_errors(error).items())
        raise click.ClickException(problems) from error
    except EmailTaken as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Admin {user_create.email} created.")


@main.command("survey-link")
@click.argument("customer_id", type=click.IntRange(1), required=False)
@click.option("--campaign", "campaign_id", type=click.IntRange(1), help="One link per target of this campaign, as CSV.")
@click.option("--base-url", default="http://localhost:3000", show_default=True)
def survey_link(customer_id: int | None, campaign_id: int | None, base_url: str) -> None:
    """Print one-time personal survey links: for a customer, or for every target of a campaign."""
    from sqlmodel import select

    from crm_app.data.db import write_session
    from crm_app.data.models import CampaignTarget, Customer
    from crm_app.data.repositories.feedback import issue_invite

    if (customer_id is None) == (campaign_id is None):
        raise click.UsageError("Give a CUSTOMER_ID or --campaign, not both.")
    with write_session() as session:
        if campaign_id is not None:
            customers = session.exec(select(CampaignTarget.customer_id).where(CampaignTarget.campaign_id == campaign_id)).all()
        else:
            customers = [customer_id] if session.get(Customer, customer_id) else []
        if not customers:
            raise click.ClickException("No such customer, or the campaign has no targets.")
        links = [(cid, issue_invite(session=session, customer_id=cid, issued_by_id=None, campaign_id=campaign_id))
                 for cid in customers]
    url = f"{base_url.rstrip('/')}/feedback?t="
    if campaign_id is None:
        click.echo(url + links[0][1])
        return
    click.echo("customer_id,link")
    for cid, token in links:
        click.echo(f"{cid},{url}{token}")


def _fit_feedback_topics() -> None:
    from crm_app.data.db import write_session
    from crm_app.data.repositories.feedback import refit_topics

    with write_session() as session:
        run = refit_topics(session=session)
    click.echo(f"Feedback topics fitted on {run.rows:,} comments: {'; '.join(run.summary['topics'])}.")


def _today():
    from datetime import UTC, datetime

    return datetime.now(UTC).date()


def _print_demo_logins() -> None:
    from crm_app.data.seed import DEMO_LOGINS

    click.echo("Demo logins (email / password / role):")
    for login in DEMO_LOGINS:
        click.echo(f"  {login.email:<28} {login.password:<22} {login.role}")


if __name__ == "__main__":
    sys.exit(main())
