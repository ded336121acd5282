"""The crm-app command: set-up, demo data and administration from the terminal."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from sqlmodel import func, select

from crm_app.counts import count_of
from crm_app.settings import PROJECT_ROOT, get_settings

logger = logging.getLogger(__name__)


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
    from crm_app.data.backup import create_database_if_missing
    from crm_app.data.models import User

    if create_database_if_missing(get_settings().database_url):
        click.echo("Created the database.")
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


@main.group("api-token")
def api_token() -> None:
    """Personal access tokens of the REST API (/api/v1), for scripts and tests."""


@api_token.command("create")
@click.option("--user", "email", required=True, help="The active user the token acts as.")
@click.option("--write", "can_write", is_flag=True, help="Read-write (default: read-only).")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 366), help="Days until it expires.")
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
def api_token_create(email: str, can_write: bool, days: int, name: str) -> None:
    """Create a token for a user and print it, once: only its hash is kept."""
    from crm_app.data.db import write_session
    from crm_app.data.models import User
    from crm_app.data.repositories.api_tokens import TokenRefused, create_token
    from crm_app.data.repositories.users import actor_of

    with write_session() as session:
        user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
        if user is None or not user.is_active:
            raise click.ClickException("--user must name an active user.")
        try:
            created = create_token(session=session, actor=actor_of(user), name=name, can_write=can_write, days=days)
        except TokenRefused as refused:
            raise click.ClickException(f"--{refused.field}: {refused}") from refused
        token_id, expires = created.token.id, created.token.expires_at
    click.echo(created.secret)
    click.echo(f"Token {token_id} ({'read-write' if can_write else 'read-only'}) for {user.email}, expires "
               f"{expires:%Y-%m-%d %H:%M} UTC. It is shown this once.", err=True)


@api_token.command("revoke")
@click.argument("token_id", type=click.IntRange(1))
def api_token_revoke(token_id: int) -> None:
    """Revoke a token by its id: it stops working at once."""
    from crm_app.data.db import write_session
    from crm_app.data.permissions import NotFound
    from crm_app.data.repositories.api_tokens import revoke_token

    try:
        with write_session() as session:
            revoke_token(session=session, actor=None, token_id=token_id)
    except NotFound as missing:
        raise click.ClickException(str(missing)) from missing
    click.echo(f"Token {token_id} revoked.")


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


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Write a backup of the whole database to FILE while the app keeps running."""
    from crm_app.data.backup import BackupFailed, backup_database

    try:
        click.echo(backup_database(database_url=get_settings().database_url, target=file).describe())
    except BackupFailed as error:
        raise click.ClickException(str(error)) from error


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
def restore(file: Path, force: bool) -> None:
    """Restore the database from a backup FILE made by `crm-app backup` (stop the app first)."""
    from crm_app.data.backup import BackupFailed, DatabaseNotEmpty, restore_database

    try:
        rows = restore_database(database_url=get_settings().database_url, source=file, force=force)
    except (BackupFailed, DatabaseNotEmpty) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {count_of(sum(rows.values()), 'row')} in {count_of(len(rows), 'table')} from {file}.")


@main.group()
def privacy() -> None:
    """Privacy requests: export everything held about a customer, or erase the person (README, "Privacy requests")."""


def _privacy_admin(command):
    return click.option("--as", "as_email", metavar="EMAIL",
                        help="The admin answering the request, named in the audit trail (default: the first admin).")(
        click.argument("customer_id", type=click.IntRange(1))(command))


@privacy.command("export")
@_privacy_admin
def privacy_export(customer_id: int, as_email: str | None) -> None:
    """Print everything held about CUSTOMER_ID as JSON."""
    from crm_app.data.repositories.privacy import export_as_json, export_customer_data

    with _privacy_request() as session:
        export = export_customer_data(session=session, actor=_privacy_actor(session, as_email), customer_id=customer_id)
    click.echo(export_as_json(export))


@privacy.command("erase")
@_privacy_admin
@click.confirmation_option(prompt="Erase this customer's personal data everywhere? This cannot be undone.")
def privacy_erase(customer_id: int, as_email: str | None) -> None:
    """Anonymise CUSTOMER_ID everywhere; orders, amounts and scores stay."""
    from crm_app.data.erasing import erase_customer

    with _privacy_request(overwrite_freed=True) as session:
        erasure = erase_customer(session=session, actor=_privacy_actor(session, as_email), customer_id=customer_id)
    click.echo(f"Customer {customer_id} erased: {erasure.describe()}.")


@contextmanager
def _privacy_request(*, overwrite_freed: bool = False):
    """A write session whose refusals become one-line command errors (nothing is written then)."""
    from crm_app.data.db import write_session
    from crm_app.data.permissions import NotFound, PermissionDenied

    try:
        with write_session(overwrite_freed=overwrite_freed) as session:
            yield session
    except (NotFound, PermissionDenied) as error:
        raise click.ClickException(str(error)) from error


def _privacy_actor(session, email: str | None):
    from crm_app.data.models import Role, User
    from crm_app.data.repositories.users import actor_of

    admins = select(User).where(User.role == Role.admin, User.is_active.is_(True)).order_by(User.id)
    if email is not None:
        admins = admins.where(func.lower(User.email) == email.strip().lower())
    admin = session.exec(admins).first()
    if admin is None:
        raise click.ClickException("Privacy requests are answered by an active admin: name one with --as.")
    return actor_of(admin)


@main.group("import")
def import_csv() -> None:
    """Import customers, orders or KPI targets from a CSV file: a dry run unless --commit (columns: README,
    "CSV import")."""


def _phone_region(_ctx, _param, value: str) -> str:
    import phonenumbers

    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise click.BadParameter("use a two-letter country code, like US, GB or DE")
    return value.upper()


def _import_options(command):
    command = click.option("--phone-region", default="US", show_default=True, callback=_phone_region,
                           help="Country whose numbers may be written without +country code.")(command)
    command = click.option("--as", "as_email", metavar="EMAIL",
                           help="Import as this active admin or sales rep (default: you, with an admin's rights).")(command)
    command = click.option("--commit", is_flag=True, help="Write the good rows; without it nothing is written.")(command)
    return click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))(command)


@import_csv.command("customers")
@_import_options
def import_customers(file: Path, commit: bool, as_email: str | None, phone_region: str) -> None:
    """Create or update customers by external_ref; bad rows are listed as `row N, column NAME: reason`."""
    _run_import("customers", file, commit, as_email, phone_region)


@import_csv.command("orders")
@_import_options
def import_orders(file: Path, commit: bool, as_email: str | None, phone_region: str) -> None:
    """Create or update orders by external_ref (rows sharing one are the lines of one order)."""
    _run_import("orders", file, commit, as_email, phone_region)


def _run_import(kind: str, file: Path, commit: bool, as_email: str | None, phone_region: str) -> None:
    """Preview or write one file; exit status 1 when any row is bad (the good rows are still written with --commit)."""
    from crm_app.data.db import read_session, write_session
    from crm_app.data.permissions import PermissionDenied
    from crm_app.data.repositories.imports import import_file, preview_import

    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file} is not UTF-8 text: save it as \"CSV UTF-8\" and try again.") from error
    with click.progressbar(length=1_000, label=f"Importing {kind}", file=sys.stderr,
                           hidden=not sys.stderr.isatty()) as bar:
        def progress(fraction: float) -> None:
            bar.update(int(fraction * 1_000) - bar.pos)

        try:
            with (write_session() if commit else read_session()) as session:
                actor = _acting_user(session, as_email)
                run = import_file if commit else preview_import
                report = run(session=session, actor=actor, kind=kind, text=text, progress=progress,
                             phone_region=phone_region)
        except PermissionDenied as error:
            raise click.ClickException(str(error)) from error
    for problem in report.problems:
        click.echo(str(problem))
    if report.ignored_columns:
        click.echo(f"Ignored columns: {', '.join(report.ignored_columns)}.")
    click.echo(report.summary())
    if not commit and not report.refused and (report.created or report.updated):
        click.echo("Nothing was written: run again with --commit to write them.")
    if report.problems:
        sys.exit(1)


@import_csv.command("targets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_email", metavar="EMAIL", required=True, help="An active executive or admin.")
@click.option("--commit", is_flag=True, help="Write the targets; without it nothing is written.")
def import_targets(file: Path, as_email: str, commit: bool) -> None:
    """KPI targets by scope (columns kpi, scope, scope_value, period_start, period_end, target; rates in
    percent; a rep by email). Any bad row is listed as `Row N: reason` and nothing is written."""
    import csv

    from crm_app.data.db import read_session, write_session
    from crm_app.data.models import Role, User
    from crm_app.data.permissions import PermissionDenied
    from crm_app.data.repositories import targets
    from crm_app.data.repositories.users import actor_of

    try:
        rows = list(csv.reader(file.read_text(encoding="utf-8-sig").splitlines()))
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file} is not UTF-8 text: save it as \"CSV UTF-8\" and try again.") from error
    if not rows:
        raise click.ClickException(f"{file} is empty.")
    with (write_session() if commit else read_session()) as session:
        user = session.exec(select(User).where(func.lower(User.email) == as_email.strip().lower())).first()
        if user is None or not user.is_active or user.role not in (Role.admin, Role.executive):
            raise click.ClickException("--as must name an active executive or admin.")
        actor = actor_of(user)
        checked = targets.check_target_rows(session=session, actor=actor,
                                            header=[c.strip() for c in rows[0]], rows=rows[1:])
        for error in checked.errors:
            click.echo(error)
        if checked.errors:
            click.echo("Nothing was written: correct the rows above and run again.")
            sys.exit(1)
        if commit:
            try:
                written = targets.import_targets(session=session, actor=actor, checked=checked)
            except PermissionDenied as error:
                raise click.ClickException(str(error)) from error
            click.echo(f"{written} targets written.")
        else:
            click.echo(f"{len(checked.targets)} targets are correct. Nothing was written: run again with --commit.")


def _acting_user(session, email: str | None):
    from crm_app.data.models import Role, User
    from crm_app.data.repositories.users import actor_of

    if email is None:
        return None
    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    if user is None or not user.is_active or user.role not in (Role.admin, Role.sales_rep):
        raise click.ClickException("--as must name an active admin or sales rep.")
    return actor_of(user)

@main.group()
def report() -> None:
    """Print the analytics reports (the numbers the cockpit and /insights show), as a table or --json."""


def _report_options(command):
    day = click.DateTime(["%Y-%m-%d"])
    options = [
        click.option("--as-of", "as_of", type=day, help="Models see what happened before this day (default: today, UTC)."),
        click.option("--from", "start", type=day, help="First day of the KPI period (default: 30 days before --to)."),
        click.option("--to", "end", type=day, help="Last day of the KPI period, included (default: the day before --as-of)."),
        click.option("--region"), click.option("--segment"), click.option("--category"),
        click.option("--channel", help="Sales channel of the orders: online, store, phone, partner."),
        click.option("--rep", "rep_email", metavar="EMAIL", help="Only this sales rep's customers and deals."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _run_report(name: str, as_of, start, end, region, segment, category, channel, rep_email, as_json) -> None:
    import json

    from crm_app.analytics.errors import TooLittleData
    from crm_app.data.db import read_session
    from crm_app.data.facts import load_facts
    from crm_app.data.reports import ReportFilters, ReportPeriod, build_report, rep_id_for
    from crm_app.report_text import report_as_text

    try:
        period = ReportPeriod.ending((as_of.date() if as_of else _today()), start and start.date(), end and end.date())
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    with read_session() as session:
        rep_id = rep_id_for(session=session, email=rep_email) if rep_email else None
        if rep_email and rep_id is None:
            raise click.ClickException(f"No user with the email {rep_email}.")
        facts = load_facts(session)
    filters = ReportFilters(region=region, segment=segment, category=category, channel=channel,
                            rep=rep_email, rep_id=rep_id)
    try:
        result = build_report(name, facts, period, filters).as_json()
    except TooLittleData as too_little:
        logger.info("Report %s not built: %s", name, too_little)
        raise click.ClickException(str(too_little)) from too_little
    if name == "kpis":  # each KPI against the target of exactly this view, as the cockpit shows it
        from crm_app.data.report_targets import kpi_targets

        with read_session() as session:
            result["targets"] = kpi_targets(session=session, facts=facts, period=period, filters=filters)
    click.echo(json.dumps(result, indent=2, allow_nan=False) if as_json else report_as_text(result))


def _report_command(name: str, summary: str) -> None:
    def command(**options) -> None:
        _run_report(name, **options)

    command.__doc__ = summary
    report.command(name)(_report_options(command))


for _name, _summary in (
    ("kpis", "Sales KPIs of the period (revenue, orders, customers, growth, win rate, pipeline), CSAT and NPS."),
    ("segments", "RFM segments with their profiles, and KMeans clusters with the silhouette of each k."),
    ("clv", "BG/NBD + Gamma-Gamma parameters and the customers with the highest 12-month CLV."),
    ("churn", "Customers likeliest to stop ordering in 90 days, their drivers, and the model backtest."),
    ("forecast", "Monthly revenue forecast with 80 % and 95 % intervals; MAPE/sMAPE against seasonal naive."),
    ("campaigns", "Campaign response rates with Wilson intervals, costs, attributed revenue and ROI."),
    ("quality", "Customer data-quality scorecard (per field and overall) and the records to fix."),
    ("winprob", "Win model vs fixed stage probabilities (holdout Brier, log loss) and both weighted pipelines."),
):
    _report_command(_name, _summary)


def _fit_feedback_topics() -> None:
    from crm_app.data.db import write_session
    from crm_app.data.repositories.feedback import refit_topics

    with write_session() as session:
        run = refit_topics(session=session)
    click.echo(f"Feedback topics fitted on {count_of(run.rows, 'comment')}: {'; '.join(run.summary['topics'])}.")


def _today():
    from datetime import UTC, datetime

    return datetime.now(UTC).date()


def _print_demo_logins() -> None:
    from crm_app.data.seed import demo_logins_text

    click.echo(demo_logins_text())


if __name__ == "__main__":
    sys.exit(main())


# --- campaigns (issue 19): the /campaigns pages for scripting -------------------------------------------------


@main.group()
def campaign() -> None:
    """Create a campaign, choose its audience, start it and print its figures (as an active marketer or admin)."""


def _campaign_runner(session, email: str):
    from crm_app.data.models import User
    from crm_app.data.repositories.users import actor_of

    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    actor = actor_of(user) if user is not None and user.is_active else None
    if actor is None or not actor.runs_campaigns:
        raise click.ClickException("--as must name an active marketer or admin.")
    return actor


def _campaign_errors():
    """Refusals and bad input become one line and exit status 1; nothing was written."""
    from pydantic import ValidationError

    from crm_app.data.permissions import NotFound, PermissionDenied
    from crm_app.data.repositories.campaigns import CampaignLocked

    @contextmanager
    def caught():
        try:
            yield
        except ValidationError as error:
            raise click.ClickException("; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors()))
        except (NotFound, PermissionDenied, CampaignLocked, ValueError) as error:
            raise click.ClickException(str(error)) from error
    return caught()


@campaign.command("create")
@click.option("--as", "as_email", metavar="EMAIL", required=True)
@click.option("--name", required=True)
@click.option("--channel", type=click.Choice(["email", "phone", "event", "ads"]), required=True)
@click.option("--start", "start_date", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--end", "end_date", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--cost", type=float, default=0.0, show_default=True)
@click.option("--offer", default="")
@click.option("--window", "attribution_days", type=int, default=30, show_default=True, help="Attribution days.")
@click.option("--holdout", "holdout_share", type=float, default=0.1, show_default=True, help="Share held out, 0-0.5.")
@click.option("--subject", "email_subject", default="", help="Email: the subject ({name} is filled in).")
@click.option("--body", "email_body", default="", help="Email: the text ({name}, {survey_link} filled in).")
def campaign_create(as_email: str, **values) -> None:
    """Create a draft campaign and print its id."""
    from crm_app.data.db import write_session
    from crm_app.data.repositories import campaigns

    values["start_date"], values["end_date"] = values["start_date"].date(), values["end_date"].date()
    with _campaign_errors(), write_session() as session:
        actor = _campaign_runner(session, as_email)
        created = campaigns.create_campaign(session=session, actor=actor, draft=campaigns.CampaignDraft(**values))
        click.echo(created.id)


@campaign.command("audience")
@click.argument("campaign_id", type=click.IntRange(1))
@click.option("--as", "as_email", metavar="EMAIL", required=True)
@click.option("--segment", help="A customer segment of the /customers filters (e.g. SMB).")
@click.option("--region", help="A region of the /customers filters.")
@click.option("--view", "view_name", help="A saved view of /customers: yours, or one shared with everybody.")
@click.option("--rfm", "rfm_segment", help="An RFM segment of the last /insights fit (e.g. Champions).")
@click.option("--cluster", type=click.IntRange(1), help="A KMeans cluster (1 = highest spend) of the last fit.")
@click.option("--churn-top", type=click.IntRange(1), help="The N riskiest customers of the last churn fit.")
@click.option("--refs", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="A CSV of external refs.")
@click.option("--commit", is_flag=True, help="Save it; without it only the counts are shown.")
def campaign_audience(campaign_id: int, as_email: str, segment, region, view_name, rfm_segment, cluster, churn_top,
                      refs, commit: bool) -> None:
    """Choose the audience of a draft campaign from one source and print the counts."""
    from crm_app.data.db import read_session, write_session
    from crm_app.data.repositories import campaigns

    given = [s for s in (segment or region, view_name, rfm_segment, cluster, churn_top, refs) if s]
    if len(given) != 1:
        raise click.UsageError("Give one source: --segment/--region, --view, --rfm, --cluster, --churn-top or --refs.")
    with _campaign_errors(), (write_session() if commit else read_session()) as session:
        actor = _campaign_runner(session, as_email)
        view_id = None if view_name is None else _customer_view(session, actor, view_name)
        ids, unknown = campaigns.audience_source(
            session=session, actor=actor, segment=segment, region=region, view_id=view_id, rfm_segment=rfm_segment,
            cluster=None if cluster is None else cluster - 1, churn_top=churn_top,
            refs_csv=None if refs is None else refs.read_text(encoding="utf-8-sig"))
        act = campaigns.set_audience if commit else campaigns.preview_audience
        audience = act(session=session, actor=actor, campaign_id=campaign_id, customer_ids=ids, unknown_refs=unknown)
    click.echo(f"{count_of(audience.chosen, 'customer')} chosen, {audience.without_consent:,} left out without "
               f"consent, {audience.contacted:,} to contact, {audience.holdout:,} held out.")
    if audience.unknown_refs:
        click.echo(f"{count_of(len(audience.unknown_refs), 'external ref')} named no customer: "
                   + ", ".join(audience.unknown_refs[:10]))
    if not commit:
        click.echo("Nothing was saved: run again with --commit.")


def _customer_view(session, actor, name: str) -> int:
    """The id of the actor's saved view of /customers called `name` (any case), else of a shared one."""
    from crm_app import routes
    from crm_app.data.repositories.saved_views import views_for

    views = views_for(session=session, actor=actor, page=routes.CUSTOMERS)  # their own first
    found = next((view.id for view in views if view.name.lower() == " ".join(name.split()).lower()), None)
    if found is None:
        raise click.ClickException(f"No saved view of /customers called “{name}” (yours or shared).")
    return found


@campaign.command("start")
@click.argument("campaign_id", type=click.IntRange(1))
@click.option("--as", "as_email", metavar="EMAIL", required=True)
def campaign_start(campaign_id: int, as_email: str) -> None:
    """Start a campaign, or resume an interrupted start: contacts every target not yet contacted, in batches."""
    from datetime import UTC, datetime

    from crm_app.data.db import write_session
    from crm_app.data.repositories import campaigns

    while True:
        with _campaign_errors(), write_session() as session:
            actor = _campaign_runner(session, as_email)
            progress = campaigns.start_campaign(session=session, actor=actor, campaign_id=campaign_id,
                                                now=datetime.now(UTC))
        click.echo(f"{progress.contacted:,} of {progress.to_contact:,} contacted.")
        if progress.finished or progress.status != "running":
            break
    if progress.unreachable:
        click.echo(f"{count_of(progress.unreachable, 'target')} withdrew consent before being contacted.")


@campaign.command("report")
@click.argument("campaign_id", type=click.IntRange(1))
@click.option("--as", "as_email", metavar="EMAIL", required=True)
@click.option("--json", "as_json", is_flag=True)
def campaign_report(campaign_id: int, as_email: str, as_json: bool) -> None:
    """Attribute responses, then print the campaign's figures against its holdout."""
    import json
    from datetime import UTC, datetime

    from crm_app.data.db import write_session
    from crm_app.data.repositories import campaigns

    with _campaign_errors(), write_session() as session:
        actor = _campaign_runner(session, as_email)
        campaigns.refresh_responses(session=session, now=datetime.now(UTC))
        figures = campaigns.campaign_summary(session=session, actor=actor, campaign_id=campaign_id)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        click.echo(f"{key}: {value}")
