"""Campaigns (issue 19): created and run by marketers and admins, read by executives, and by a sales rep when one
of its targets is their customer.

A campaign's audience is chosen while it is a draft: customers without consent for its channel are left out and
counted, each customer is in it once, and a holdout (`holdout_share`, drawn with the campaign's stored seed) is
never contacted. Starting contacts the rest in batches, each in its own transaction that also sets the targets'
contacted_at, so a second click or a resumed start never contacts anyone twice: email renders the template into
the mail outbox (with the unsubscribe link the outbox adds), phone and event campaigns give each target's owner a
call task, ads contact nobody from here. Responses are attributed from orders and survey answers
(analytics.attribution) while the campaign runs; it is done once its last attribution window has closed.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, UTC
from typing import Any

import numpy as np
import pandas as pd
from pydantic import field_validator, model_validator
from sqlalchemy import exists, update
from sqlmodel import Session, func, select

from crm_app.analytics.attribution import attribute_responses
from crm_app.analytics.uplift import CampaignUplift, campaign_uplift
from crm_app.data.models import Activity, ActivityKind, Campaign, CampaignTarget, Customer, FeedbackInvite, Order
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.repositories import mail_outbox, webhooks
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.data.repositories.feedback import issue_invite
from crm_app.data.validation import UserInput
from crm_app.domain import (DEFAULT_ATTRIBUTION_DAYS, DEFAULT_HOLDOUT_SHARE, REVENUE_STATUSES, CampaignChannel,
                            CampaignStatus, TargetGroup)
from crm_app.settings import get_settings
from crm_app.i18n import gettext

CONTACT_BATCH = 200
MAX_AUDIENCE = 100_000
MAX_REFS_CSV = 2_000_000  # characters of an uploaded list of external refs
_AUDITED = ("name", "channel", "offer", "cost", "start_date", "end_date", "attribution_days", "holdout_share",
            "email_subject", "email_body", "status")
# Which consent a channel needs: calls and event invitations are phoned; ads are matched on the email address.
CONSENT_OF_CHANNEL = {CampaignChannel.email: "consent_email", CampaignChannel.phone: "consent_phone",
                      CampaignChannel.event: "consent_phone", CampaignChannel.ads: "consent_email"}


class CampaignDraft(UserInput):
    """A campaign's settings as typed on its page or given to `crm-app campaign create`."""

    name: str
    channel: CampaignChannel
    offer: str = ""
    cost: float = 0.0
    start_date: date
    end_date: date
    attribution_days: int = DEFAULT_ATTRIBUTION_DAYS
    holdout_share: float = DEFAULT_HOLDOUT_SHARE
    email_subject: str = ""
    email_body: str = ""

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 200:
            raise ValueError(gettext("Enter a name of at most 200 characters."))
        return value

    @field_validator("offer")
    @classmethod
    def _offer(cls, value: str) -> str:
        if len(value) > 2000:
            raise ValueError(gettext("The offer is at most 2,000 characters."))
        return value.strip()

    @field_validator("cost")
    @classmethod
    def _cost(cls, value: float) -> float:
        if not 0 <= value < 1e12:
            raise ValueError(gettext("The cost is an amount of 0 or more."))
        return round(value, 2)

    @field_validator("attribution_days")
    @classmethod
    def _window(cls, value: int) -> int:
        if not 1 <= value <= 365:
            raise ValueError(gettext("The attribution window is 1 to 365 days."))
        return value

    @field_validator("holdout_share")
    @classmethod
    def _holdout(cls, value: float) -> float:
        if not 0 <= value <= 0.5:
            raise ValueError(gettext("The holdout is 0 % to 50 % of the audience."))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "CampaignDraft":
        if self.end_date < self.start_date:
            raise ValueError(gettext("The campaign must end on or after its start."))
        if self.channel == CampaignChannel.email:
            if not self.email_subject.strip() or "\n" in self.email_subject or len(self.email_subject) > 200:
                raise ValueError(gettext("An email campaign needs a one-line subject of at most 200 characters."))
            if not self.email_body.strip() or len(self.email_body) > 10_000:
                raise ValueError(gettext("An email campaign needs a message of at most 10,000 characters."))
        return self


# --- who may do what ---------------------------------------------------------------------------------------


def _require_runner(actor: Actor) -> None:
    if not actor.runs_campaigns:
        raise PermissionDenied(gettext("Marketers and admins run campaigns; others read them."))


def _touches_own_customers(actor: Actor):
    return exists().where(CampaignTarget.campaign_id == Campaign.id, CampaignTarget.customer_id == Customer.id,
                          Customer.owner_id == actor.id)


def readable_campaigns(statement, actor: Actor):
    """`statement` over Campaign narrowed to the campaigns the actor may read (the rule of `visible_campaigns`)."""
    return statement if actor.reads_everything else statement.where(_touches_own_customers(actor))


def visible_campaigns(*, session: Session, actor: Actor) -> list[Campaign]:
    """The campaigns the actor may read, newest start first: all for marketers, admins and executives; for a
    sales rep those with a target among their customers."""
    statement = select(Campaign).order_by(Campaign.start_date.desc(), Campaign.id.desc())
    if not actor.reads_everything:
        statement = statement.where(_touches_own_customers(actor))
    return list(session.exec(statement).all())


def campaign_for(*, session: Session, actor: Actor, campaign_id: Any) -> Campaign:
    """The campaign when the actor may read it; NotFound otherwise (the two are not told apart)."""
    if not isinstance(campaign_id, int) or isinstance(campaign_id, bool) or not 0 < campaign_id < 2**31:
        raise NotFound(gettext("No such campaign."))
    statement = select(Campaign).where(Campaign.id == campaign_id)
    if not actor.reads_everything:
        statement = statement.where(_touches_own_customers(actor))
    campaign = session.exec(statement).first()
    if campaign is None:
        raise NotFound(gettext("No such campaign."))
    return campaign


def _changeable(session: Session, actor: Actor, campaign_id: Any) -> Campaign:
    _require_runner(actor)
    return campaign_for(session=session, actor=actor, campaign_id=campaign_id)


# --- settings -----------------------------------------------------------------------------------------------


def create_campaign(*, session: Session, actor: Actor, draft: CampaignDraft) -> Campaign:
    """A draft campaign owned by the actor, with a fresh random seed for its holdout draw."""
    _require_runner(actor)
    campaign = Campaign(**draft.model_dump(), owner_id=actor.id, status=CampaignStatus.draft,
                        seed=secrets.randbelow(2**31))
    session.add(campaign)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="campaign", entity_id=campaign.id, action="create",
                  new=snapshot(campaign, _AUDITED))
    return campaign


class CampaignLocked(ValueError):
    """The campaign has started: its settings and audience no longer change."""


def update_campaign(*, session: Session, actor: Actor, campaign_id: int, draft: CampaignDraft) -> Campaign:
    campaign = _changeable(session, actor, campaign_id)
    if campaign.status != CampaignStatus.draft:
        raise CampaignLocked(gettext("A started campaign keeps its settings."))
    old = snapshot(campaign, _AUDITED)
    for name, value in draft.model_dump().items():
        setattr(campaign, name, value)
    session.add(campaign)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="campaign", entity_id=campaign.id, action="update",
                  old=old, new=snapshot(campaign, _AUDITED))
    return campaign


# --- audience -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """An audience before or after saving: `chosen` customers found by the source, of whom `without_consent`
    are left out (no consent for the channel, or no address to use it), the rest split into `contacted` and a
    `holdout`. `unknown_refs`: external refs of a CSV that name no customer."""

    chosen: int
    without_consent: int
    contacted: int
    holdout: int
    unknown_refs: tuple[str, ...] = ()

    @property
    def eligible(self) -> int:
        return self.contacted + self.holdout


def holdout_draw(customer_ids: list[int], share: float, seed: int) -> set[int]:
    """round(share × n) of the customers, drawn without replacement by numpy's PCG64 seeded with the campaign's
    seed from the ids in ascending order: the same audience and seed always give the same holdout."""
    ordered = np.array(sorted(customer_ids), dtype=np.int64)
    size = int(round(share * ordered.size))
    return set(int(i) for i in np.random.default_rng(seed).choice(ordered, size=size, replace=False))


def _reachable(session: Session, channel: CampaignChannel, customer_ids: list[int]) -> list[int]:
    consent = getattr(Customer, CONSENT_OF_CHANNEL[channel])
    address = Customer.email if consent is Customer.consent_email else Customer.phone
    found: list[int] = []
    for start in range(0, len(customer_ids), 5_000):
        chunk = customer_ids[start:start + 5_000]
        found += session.exec(select(Customer.id).where(Customer.id.in_(chunk), consent.is_(True),
                                                        address.is_not(None), address != "")).all()
    return sorted(found)


def preview_audience(*, session: Session, actor: Actor, campaign_id: int, customer_ids: list[int],
                     unknown_refs: tuple[str, ...] = ()) -> Audience:
    """What saving `customer_ids` as the audience would give, without saving it."""
    campaign = _changeable(session, actor, campaign_id)
    return _audience(session, campaign, customer_ids, unknown_refs)[0]


def _audience(session: Session, campaign: Campaign, customer_ids: list[int],
              unknown_refs: tuple[str, ...]) -> tuple[Audience, list[int], set[int]]:
    chosen = sorted(set(customer_ids))
    if len(chosen) > MAX_AUDIENCE:
        raise ValueError(gettext("An audience is at most {limit} customers; this one has {count}.",
                                 limit=f"{MAX_AUDIENCE:,}", count=f"{len(chosen):,}"))
    reachable = _reachable(session, CampaignChannel(campaign.channel), chosen)
    held = holdout_draw(reachable, campaign.holdout_share, campaign.seed)
    audience = Audience(chosen=len(chosen), without_consent=len(chosen) - len(reachable),
                        contacted=len(reachable) - len(held), holdout=len(held), unknown_refs=unknown_refs)
    return audience, reachable, held


def _draft_campaign(session: Session, actor: Actor, campaign_id: Any) -> Campaign:
    campaign = _changeable(session, actor, campaign_id)
    if campaign.status != CampaignStatus.draft:
        raise CampaignLocked(gettext("A started campaign keeps its audience."))
    return campaign


def _save_targets(session: Session, actor: Actor, campaign: Campaign, audience: Audience, reachable: list[int],
                  held: set[int]) -> None:
    """Make `reachable` the campaign's targets, `held` of them in the holdout, and audit the counts."""
    session.exec(CampaignTarget.__table__.delete().where(CampaignTarget.campaign_id == campaign.id))
    if reachable:
        session.exec(CampaignTarget.__table__.insert(), params=[
            {"campaign_id": campaign.id, "customer_id": customer_id, "responded": False, "attributed_revenue": 0,
             "target_group": (TargetGroup.holdout if customer_id in held else TargetGroup.contacted).value}
            for customer_id in reachable])
    record_change(session=session, actor_id=actor.id, entity="campaign", entity_id=campaign.id, action="audience",
                  new={"chosen": audience.chosen, "without_consent": audience.without_consent,
                       "contacted": audience.contacted, "holdout": audience.holdout})


def set_audience(*, session: Session, actor: Actor, campaign_id: int, customer_ids: list[int],
                 unknown_refs: tuple[str, ...] = ()) -> Audience:
    """Replace a draft campaign's targets with `customer_ids` (each once) that consent to its channel, the
    holdout drawn with its seed."""
    campaign = _draft_campaign(session, actor, campaign_id)
    audience, reachable, held = _audience(session, campaign, customer_ids, unknown_refs)
    _save_targets(session, actor, campaign, audience, reachable, held)
    return audience


def draft_campaigns(*, session: Session, actor: Actor) -> list[Campaign]:
    """The campaigns whose audience the actor may still change (drafts, for marketers and admins), newest first."""
    if not actor.runs_campaigns:
        return []
    return list(session.exec(select(Campaign).where(Campaign.status == CampaignStatus.draft)
                             .order_by(Campaign.start_date.desc(), Campaign.id.desc())).all())


@dataclass(frozen=True)
class AudienceAddition:
    """What adding customers to an audience did: of `selected`, `added` joined it (`held_out` of them drawn into
    the holdout); the others were left out, `already_in` the campaign or `without_consent` for its channel."""

    campaign_name: str
    consent: str  # "email" or "phone": the consent (and address) the channel needs
    selected: int
    added: int
    held_out: int
    already_in: int
    without_consent: int


def add_to_audience(*, session: Session, actor: Actor, campaign_id: Any, customer_ids: list[int]) -> AudienceAddition:
    """Add customers to a draft campaign's audience by set_audience's rules: only those consenting to its channel,
    each once, and the holdout drawn again with the campaign's seed over the whole new audience, which is thus
    exactly what set_audience would make of the old audience and the new customers together (nobody is contacted
    while it is a draft). Each added customer gets an audit row, so a caller's audit batch covers them all."""
    campaign = _draft_campaign(session, actor, campaign_id)
    chosen = sorted(set(customer_ids))
    present = set(session.exec(select(CampaignTarget.customer_id)
                               .where(CampaignTarget.campaign_id == campaign.id)).all())
    newcomers = [customer_id for customer_id in chosen if customer_id not in present]
    audience, reachable, held = _audience(session, campaign, sorted(present | set(newcomers)), ())
    added = sorted(set(reachable) & set(newcomers))
    _save_targets(session, actor, campaign, audience, reachable, held)
    for customer_id in added:
        record_change(session=session, actor_id=actor.id, entity="customer", entity_id=customer_id,
                      action="campaign_add", new={"campaign": campaign.name})
    return AudienceAddition(campaign_name=campaign.name, selected=len(chosen),
                            consent=CONSENT_OF_CHANNEL[CampaignChannel(campaign.channel)].removeprefix("consent_"),
                            added=len(added), held_out=len(held & set(added)), already_in=len(chosen) - len(newcomers),
                            without_consent=len(newcomers) - len(added))


def customers_of_refs(*, session: Session, text: str) -> tuple[list[int], tuple[str, ...]]:
    """The customers named by a CSV of external refs (a column `external_ref`, or else the first column), and
    the refs that name none."""
    if not isinstance(text, str) or len(text) > MAX_REFS_CSV:
        raise ValueError(gettext("The list of external refs is too long."))
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return [], ()
    header = [cell.strip().lower() for cell in rows[0]]
    column = header.index("external_ref") if "external_ref" in header else 0
    body = rows[1:] if "external_ref" in header else rows
    refs = list(dict.fromkeys(row[column].strip() for row in body if len(row) > column and row[column].strip()))
    found: dict[str, int] = {}
    for start in range(0, len(refs), 5_000):
        chunk = refs[start:start + 5_000]
        found.update(session.exec(select(Customer.external_ref, Customer.id).where(Customer.external_ref.in_(chunk))).all())
    return sorted(found.values()), tuple(ref for ref in refs if ref not in found)


# --- contact ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactProgress:
    """How far starting has got: contacted of the contacted group; `unreachable` lost their consent (or address)
    after the audience was saved and are not contacted (they stay in the group, so the comparison stays fair)."""

    status: str
    contacted: int
    to_contact: int
    unreachable: int
    holdout: int

    @property
    def finished(self) -> bool:
        return self.contacted + self.unreachable >= self.to_contact


def render(template: str, *, name: str, survey_link: str) -> str:
    """The template with {name} and {survey_link} filled in (nothing else is interpreted)."""
    return template.replace("{name}", name).replace("{survey_link}", survey_link)


def _contact_one(session: Session, campaign: Campaign, target: CampaignTarget, customer: Customer,
                 now: datetime) -> bool:
    channel = CampaignChannel(campaign.channel)
    if channel == CampaignChannel.email:
        if not customer.email or not customer.consent_email:
            return False
        token = issue_invite(session=session, customer_id=customer.id, issued_by_id=campaign.owner_id,
                             campaign_id=campaign.id)
        link = f"{get_settings().link_base}/feedback?t={token}"
        queued = mail_outbox.enqueue(
            session=session, to=customer.email, purpose_key=f"campaign:{campaign.id}",
            subject=render(campaign.email_subject, name=customer.name, survey_link=link).replace("\n", " "),
            body_text=render(campaign.email_body, name=customer.name, survey_link=link),
            headers={"X-Campaign": str(campaign.id)}, unsubscribe_customer_id=customer.id)
        return queued is not None
    if channel in (CampaignChannel.phone, CampaignChannel.event):
        if not customer.phone or not customer.consent_phone:
            return False
        owner = customer.owner_id or campaign.owner_id
        if owner is None:
            return False
        verb = "Invite" if channel == CampaignChannel.event else "Call"
        session.add(Activity(kind=ActivityKind.call, subject=f"{verb} {customer.name}: {campaign.name}"[:200],
                             notes=campaign.offer or None, customer_id=customer.id, owner_id=owner, due_at=now))
    return True


def start_campaign(*, session: Session, actor: Actor, campaign_id: int, now: datetime,
                   batch: int = CONTACT_BATCH) -> ContactProgress:
    """Start (draft or scheduled -> running, started_at = now) and contact up to `batch` targets not contacted
    yet, in the caller's transaction. Call again, each time in a new transaction, until `finished`: a target's
    contact and its contacted_at commit together, so nothing is sent twice and an interrupted start resumes."""
    campaign = _changeable(session, actor, campaign_id)
    if campaign.status in (CampaignStatus.draft, CampaignStatus.scheduled):
        if not session.exec(select(func.count()).select_from(CampaignTarget)
                            .where(CampaignTarget.campaign_id == campaign.id)).one():
            raise CampaignLocked(gettext("Choose an audience before starting."))
        campaign.status, campaign.started_at = CampaignStatus.running, now
        session.add(campaign)
        record_change(session=session, actor_id=actor.id, entity="campaign", entity_id=campaign.id, action="start",
                      new={"status": CampaignStatus.running.value})
    if campaign.status == CampaignStatus.running:
        pending = session.exec(
            select(CampaignTarget, Customer).join(Customer, Customer.id == CampaignTarget.customer_id)
            .where(CampaignTarget.campaign_id == campaign.id, CampaignTarget.target_group == TargetGroup.contacted,
                   CampaignTarget.contacted_at.is_(None))
            .order_by(CampaignTarget.id).limit(batch * 4)
        ).all()
        done = 0
        for target, customer in pending:
            if done >= batch:
                break
            if _contact_one(session, campaign, target, customer, now):
                target.contacted_at = now
                session.add(target)
                done += 1
        session.flush()
    return contact_progress(session=session, campaign=campaign)


def contact_progress(*, session: Session, campaign: Campaign) -> ContactProgress:
    counts = dict(session.exec(
        select(CampaignTarget.target_group, func.count()).where(CampaignTarget.campaign_id == campaign.id)
        .group_by(CampaignTarget.target_group)).all())
    contacted = session.exec(select(func.count()).select_from(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id, CampaignTarget.contacted_at.is_not(None))).one()
    to_contact = counts.get(TargetGroup.contacted.value, 0)
    unreachable = 0
    if campaign.status != CampaignStatus.draft and contacted < to_contact:
        waiting = session.exec(select(CampaignTarget.customer_id).where(
            CampaignTarget.campaign_id == campaign.id, CampaignTarget.target_group == TargetGroup.contacted,
            CampaignTarget.contacted_at.is_(None))).all()
        unreachable = len(waiting) - len(_reachable(session, CampaignChannel(campaign.channel), list(waiting)))
    return ContactProgress(status=str(campaign.status), contacted=contacted, to_contact=to_contact,
                           unreachable=unreachable, holdout=counts.get(TargetGroup.holdout.value, 0))


# --- responses and figures ---------------------------------------------------------------------------------------


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def refresh_responses(*, session: Session, now: datetime) -> int:
    """Attribute orders and survey answers to the targets of running campaigns (analytics.attribution), and mark
    done each running campaign whose last window has closed (end date + attribution days). Returns how many
    targets were looked at. Campaigns already done keep their figures."""
    running = session.exec(select(Campaign).where(Campaign.status == CampaignStatus.running,
                                                  Campaign.started_at.is_not(None))).all()
    if not running:
        return 0
    ids = [c.id for c in running]
    customers = select(CampaignTarget.customer_id).where(CampaignTarget.campaign_id.in_(ids))
    # Every campaign of these customers competes for their orders (the latest contact wins).
    rows = session.exec(
        select(CampaignTarget.id, CampaignTarget.customer_id, CampaignTarget.campaign_id, CampaignTarget.target_group,
               CampaignTarget.contacted_at, Campaign.started_at, Campaign.attribution_days)
        .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
        .where(CampaignTarget.customer_id.in_(customers), Campaign.started_at.is_not(None))).all()
    targets = pd.DataFrame(rows, columns=["target_id", "customer_id", "campaign_id", "target_group", "contacted_at",
                                          "started_at", "window_days"])
    targets["reference_at"] = _utc(targets["contacted_at"].where(targets["target_group"] == TargetGroup.contacted,
                                                                 targets["started_at"]))
    targets = targets[targets["reference_at"].notna()]
    orders = pd.DataFrame(session.exec(
        select(Order.customer_id, Order.ordered_at, Order.total_amount)
        .where(Order.customer_id.in_(customers), Order.status.in_([s.value for s in REVENUE_STATUSES]))).all(),
        columns=["customer_id", "ordered_at", "amount"])
    orders["ordered_at"] = _utc(orders["ordered_at"])
    answers = pd.DataFrame(session.exec(
        select(FeedbackInvite.customer_id, FeedbackInvite.campaign_id, FeedbackInvite.used_at)
        .where(FeedbackInvite.campaign_id.in_(ids), FeedbackInvite.used_at.is_not(None))).all(),
        columns=["customer_id", "campaign_id", "answered_at"])
    answers["answered_at"] = _utc(answers["answered_at"])
    result = attribute_responses(targets, orders, answers)
    mine = targets.loc[targets["campaign_id"].isin(ids), "target_id"]
    responded_before = set(session.exec(select(CampaignTarget.id).where(CampaignTarget.campaign_id.in_(ids),
                                                                       CampaignTarget.responded.is_(True))).all())
    for target_id in mine:
        at = result.loc[target_id, "responded_at"]
        session.exec(update(CampaignTarget).where(CampaignTarget.id == int(target_id)).values(
            responded=bool(pd.notna(at)), responded_at=None if pd.isna(at) else at.to_pydatetime(),
            attributed_revenue=float(result.loc[target_id, "attributed_revenue"])))
    webhooks.campaign_responses(session=session, target_ids=[
        int(target_id) for target_id in mine
        if pd.notna(result.loc[target_id, "responded_at"]) and int(target_id) not in responded_before])
    for campaign in running:
        if now.date() > campaign.end_date + timedelta(days=campaign.attribution_days):
            campaign.status = CampaignStatus.done
            session.add(campaign)
    session.flush()
    return len(mine)


@dataclass(frozen=True)
class CampaignReport:
    """A campaign's figures (analytics.uplift.CampaignUplift) and the cumulative responses by day since contact."""

    figures: CampaignUplift
    cumulative: pd.DataFrame  # index day 0..window, columns contacted / holdout: share responded by that day


def campaign_report(*, session: Session, actor: Actor, campaign_id: Any) -> CampaignReport:
    campaign = campaign_for(session=session, actor=actor, campaign_id=campaign_id)
    rows = session.exec(select(CampaignTarget.target_group, CampaignTarget.responded, CampaignTarget.responded_at,
                               CampaignTarget.attributed_revenue, CampaignTarget.contacted_at)
                        .where(CampaignTarget.campaign_id == campaign.id)).all()
    frame = pd.DataFrame(rows, columns=["group", "responded", "responded_at", "revenue", "contacted_at"])
    contacted, held = frame[frame["group"] == TargetGroup.contacted], frame[frame["group"] == TargetGroup.holdout]
    figures = campaign_uplift(contacted["responded"].to_numpy(bool), contacted["revenue"].to_numpy(float),
                              held["responded"].to_numpy(bool), held["revenue"].to_numpy(float),
                              cost=float(campaign.cost), seed=int(campaign.seed))
    started = campaign.started_at or datetime.combine(campaign.start_date, time(), UTC)
    return CampaignReport(figures=figures, cumulative=cumulative_responses(frame, pd.Timestamp(started),
                                                                          campaign.attribution_days))


def cumulative_responses(frame: pd.DataFrame, started: pd.Timestamp, window_days: int) -> pd.DataFrame:
    """Per group, the share of its targets that had responded by each whole day since contact (the holdout's
    contact: the campaign's start), days 0 to the window."""
    started = started.tz_convert("UTC") if started.tzinfo else started.tz_localize("UTC")
    days = pd.RangeIndex(0, window_days + 1, name="day")
    out = {}
    for group in (TargetGroup.contacted, TargetGroup.holdout):
        rows = frame[frame["group"] == group]
        reference = _utc(rows["contacted_at"]).fillna(started) if group == TargetGroup.contacted else \
            pd.Series(started, index=rows.index)
        since = (_utc(rows["responded_at"]) - reference).dt.days
        counts = since.dropna().clip(lower=0).astype(int).value_counts().reindex(days, fill_value=0).cumsum()
        out[group.value] = counts / len(rows) if len(rows) else counts * np.nan
    return pd.DataFrame(out, index=days)


def segments_fit_date(*, session: Session) -> date:
    """The as-of date of the last /insights segments fit: RFM segments and clusters are taken as it found them."""
    from crm_app.data.insights_refresh import latest_insights

    fitted = latest_insights(session=session).get("segments")
    if fitted is None or not fitted.summary or "as_of" not in fitted.summary:
        raise ValueError(gettext("Fit the segments on /insights first."))
    return date.fromisoformat(fitted.summary["as_of"])


def audience_source(*, session: Session, actor: Actor, segment: str | None = None, region: str | None = None,
                    view_id: int | None = None, rfm_segment: str | None = None, cluster: int | None = None,
                    churn_top: int | None = None, refs_csv: str | None = None) -> tuple[list[int], tuple[str, ...]]:
    """The customers of one audience source, and the external refs that named nobody: the /customers filters
    (segment, region) or a saved view of /customers (the actor's own or a shared one), read by the list's own
    rule (customer_filters); an RFM segment or KMeans cluster (0 = highest spend) as the last /insights fit found
    them, the `churn_top` riskiest customers of the last churn fit, or a CSV of external refs."""
    _require_runner(actor)
    if refs_csv is not None:
        return customers_of_refs(session=session, text=refs_csv)
    if rfm_segment is not None or cluster is not None:
        from crm_app.data.facts import load_model_facts
        from crm_app.data.insights_refresh import model_facts
        from crm_app.data.reports import segment_members

        as_of = segments_fit_date(session=session)
        # A segment is every customer in it; a cluster is the customers the fit clustered, drawn from the same
        # sample of a company too large to fit whole.
        facts = load_model_facts(session) if rfm_segment is not None else model_facts(session).facts
        return segment_members(facts, as_of, segment=rfm_segment, cluster=cluster), ()
    if churn_top is not None:
        from crm_app.data.insights_refresh import latest_insights

        fitted = latest_insights(session=session).get("churn")
        rows = (fitted.summary or {}).get("at_risk") if fitted is not None else None
        if not rows:
            raise ValueError(gettext("Fit the churn model on /insights first."))
        return [int(row["customer_id"]) for row in rows[:churn_top]], ()
    from crm_app import routes
    from crm_app.data.repositories.customer_filters import customer_filters
    from crm_app.data.repositories.customers import matching_customer_ids
    from crm_app.data.repositories.saved_views import view_for

    filters = view_for(session=session, actor=actor, page=routes.CUSTOMERS, view_id=view_id).filters \
        if view_id is not None else {"segment": segment or "", "region": region or ""}
    query = customer_filters(session=session, actor=actor, filters=filters).query
    return matching_customer_ids(session=session, actor=actor, query=query), ()


def _number(value: float | None, digits: int) -> float | None:
    return None if value is None or value != value else round(float(value), digits)


def campaign_summary(*, session: Session, actor: Actor, campaign_id: Any) -> dict[str, Any]:
    """A campaign's settings, contact progress and figures as plain numbers (the CLI's --json and the page)."""
    campaign = campaign_for(session=session, actor=actor, campaign_id=campaign_id)
    report = campaign_report(session=session, actor=actor, campaign_id=campaign.id)
    progress = contact_progress(session=session, campaign=campaign)
    f = report.figures
    return {
        "campaign_id": campaign.id, "name": campaign.name, "channel": str(campaign.channel),
        "status": str(campaign.status), "cost": float(campaign.cost), "attribution_days": campaign.attribution_days,
        "holdout_share": campaign.holdout_share, "seed": campaign.seed,
        "targets": f.contacted.n, "holdout_targets": f.holdout.n, "contacted": progress.contacted,
        "responders": f.contacted.successes, "holdout_responders": f.holdout.successes,
        "response_rate": _number(f.contacted.value, 4), "response_rate_low": _number(f.contacted.lower, 4),
        "response_rate_high": _number(f.contacted.upper, 4),
        "holdout_response_rate": _number(f.holdout.value, 4), "holdout_response_rate_low": _number(f.holdout.lower, 4),
        "holdout_response_rate_high": _number(f.holdout.upper, 4),
        "uplift": _number(f.uplift.value, 4), "uplift_low": _number(f.uplift.lower, 4),
        "uplift_high": _number(f.uplift.upper, 4),
        "incremental_revenue_per_target": _number(f.incremental_revenue_per_target.value, 2),
        "incremental_revenue_per_target_low": _number(f.incremental_revenue_per_target.lower, 2),
        "incremental_revenue_per_target_high": _number(f.incremental_revenue_per_target.upper, 2),
        "attributed_revenue": _number(f.contacted_revenue, 2), "incremental_revenue": _number(f.incremental_revenue, 2),
        "cost_per_target": _number(f.cost_per_target, 2),
        "cost_per_incremental_response": _number(f.cost_per_incremental_response, 2),
        "roi": _number(f.naive_roi, 4), "incremental_roi": _number(f.incremental_roi, 4),
    }
