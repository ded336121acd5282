"""Bulk actions on the customer list: hand customers to another owner (admins), a task for each, add them to a
campaign's audience (marketers and admins), export.

A selection is either the ids a user ticked, each checked, or "all N matching" the list's filters, worked out here
from the filters, never from ids a client sends. A rep's selection holds only their own customers: one that is not
theirs refuses the whole action. Each action runs in the caller's one transaction (all or nothing) with every audit
row it writes sharing one batch id, and is bounded by MAX_BULK customers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from crm_app.counts import count_of
from crm_app.i18n import gettext
from crm_app.data.models import Customer
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.repositories import campaigns, customers, tasks, webhooks
from crm_app.data.repositories.audit import audit_batch, record_change

# The most customers one bulk action changes: a larger selection is refused with its size, never cut short.
MAX_BULK = 1000


class SelectionRejected(ValueError):
    """The selection is empty or too large. The message is for the user."""


@dataclass(frozen=True)
class Selection:
    """The customers a bulk action is for: the ids ticked on the list, or all those matching `query`."""

    ids: tuple[int, ...] = ()
    query: customers.CustomerQuery | None = None

    @classmethod
    def of_ids(cls, ids: Iterable[int]) -> Selection:
        return cls(ids=tuple(sorted(set(ids))))

    @classmethod
    def matching(cls, query: customers.CustomerQuery) -> Selection:
        return cls(query=query)


@dataclass(frozen=True)
class BulkResult:
    """How many customers the action changed (of how many selected), and the batch id of its audit rows."""

    changed: int
    selected: int
    batch_id: str


def _too_many(count: int) -> SelectionRejected:
    return SelectionRejected(gettext("A bulk action works on at most {limit} customers at a time and this "
                                     "selection has {count}: narrow the filters and try again.",
                                     limit=f"{MAX_BULK:,}", count=f"{count:,}"))


def selected_ids(*, session: Session, actor: Actor, selection: Selection) -> list[int]:
    """The ids of the selected customers, each one the actor may see; NotFound when a ticked id is not (a rep's
    selection holds only their own customers), SelectionRejected when none or more than MAX_BULK are selected."""
    if selection.query is not None:
        total = customers.count_matching(session=session, actor=actor, query=selection.query)
        if total > MAX_BULK:
            raise _too_many(total)
        ids = customers.matching_ids(session=session, actor=actor, query=selection.query, limit=MAX_BULK)
    else:
        ids = sorted(set(selection.ids))
        if len(ids) > MAX_BULK:
            raise _too_many(len(ids))
        statement = select(Customer.id).where(Customer.id.in_(ids))
        if not actor.reads_everything:
            statement = statement.where(Customer.owner_id == actor.id)
        if ids and len(session.exec(statement).all()) != len(ids):
            raise NotFound(gettext("One of the selected customers is not one you may change (or no longer exists): "
                           "nothing was changed."))
    if not ids:
        raise SelectionRejected(gettext("Select at least one customer."))
    return ids


def _writable_selection(session: Session, actor: Actor, selection: Selection) -> list[Customer]:
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read customers; their owners and admins change them."))
    ids = selected_ids(session=session, actor=actor, selection=selection)
    rows = list(session.exec(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)))
    if not actor.is_admin and any(row.owner_id != actor.id for row in rows):
        raise NotFound(gettext("One of the selected customers is not yours: nothing was changed."))
    return rows


def reassign_customers(*, session: Session, actor: Actor, selection: Selection, owner_id: int | None) -> BulkResult:
    """Give the selected customers to `owner_id` (an active rep or admin; None: nobody). Admins only. Each customer
    whose owner changes gets an audit row "reassign" in one batch; those already with that owner are left alone."""
    if not actor.is_admin:
        raise PermissionDenied(gettext("Only admins give customers to another owner."))
    rows = _writable_selection(session, actor, selection)
    owner = customers.owner_for(session=session, actor=actor, requested=owner_id)
    moved = [row for row in rows if row.owner_id != owner]
    with audit_batch(session) as batch_id:
        for row in moved:
            before = row.owner_id
            row.owner_id = owner
            session.add(row)
            record_change(session=session, actor_id=actor.id, entity="customer", entity_id=row.id,
                          action="reassign", old={"owner_id": before}, new={"owner_id": owner})
        session.flush()
        webhooks.customer_changed(session=session, customers=moved, created=False)
    return BulkResult(changed=len(moved), selected=len(rows), batch_id=batch_id)


def create_tasks(*, session: Session, actor: Actor, selection: Selection, draft: tasks.TaskDraft) -> BulkResult:
    """The same task (subject, kind, due on the actor's clock, notes) for each selected customer, owned by the
    actor; each task's audit row is in one batch."""
    rows = _writable_selection(session, actor, selection)
    with audit_batch(session) as batch_id:
        for row in rows:
            tasks.create_task(session=session, actor=actor, draft=draft, customer_id=row.id)
    return BulkResult(changed=len(rows), selected=len(rows), batch_id=batch_id)


@dataclass(frozen=True)
class CampaignResult:
    """What adding the selection to a campaign did (campaigns.AudienceAddition), and its audit batch id."""

    addition: campaigns.AudienceAddition
    batch_id: str


def add_to_campaign(*, session: Session, actor: Actor, selection: Selection, campaign_id: Any) -> CampaignResult:
    """Add the selected customers to a draft campaign's audience by the campaign's own rules (consent for its
    channel, once per campaign, the holdout drawn with its seed); marketers and admins only. Each customer added
    gets an audit row "campaign_add" in one batch."""
    if not actor.runs_campaigns:
        raise PermissionDenied(gettext("Marketers and admins add customers to campaigns."))
    ids = selected_ids(session=session, actor=actor, selection=selection)
    with audit_batch(session) as batch_id:
        addition = campaigns.add_to_audience(session=session, actor=actor, campaign_id=campaign_id, customer_ids=ids)
    return CampaignResult(addition=addition, batch_id=batch_id)


def describe_addition(result: CampaignResult) -> str:
    """'12 customers added to “Spring offer” (1 of them held out, never contacted); 3 left out: 2 without email
    consent or address, 1 already in the campaign.' In the acting user's language."""
    a = result.addition
    text = gettext("{customers} added to “{campaign}”", customers=count_of(a.added, "customer"), campaign=a.campaign_name)
    if a.held_out:
        text += gettext(" ({held_out} of them held out, never contacted)", held_out=f"{a.held_out:,}")
    without = ("{count} without email consent or address" if a.consent == "email"
               else "{count} without phone consent or address")
    reasons = [gettext(without, count=f"{a.without_consent:,}")] if a.without_consent else []
    reasons += [gettext("{count} already in the campaign", count=f"{a.already_in:,}")] if a.already_in else []
    left_out = a.without_consent + a.already_in
    return text + (gettext("; {count} left out: {reasons}.", count=f"{left_out:,}", reasons=gettext(", ").join(reasons))
                   if reasons else gettext("."))


def export_selection(*, session: Session, actor: Actor, selection: Selection) -> list[tuple]:
    """The selected customers in the export's columns (customers.EXPORT_COLUMNS), by name."""
    ids = selected_ids(session=session, actor=actor, selection=selection)
    return customers.export_customers(session=session, actor=actor, query=customers.CustomerQuery(), ids=ids)


def describe(result: BulkResult, done: str) -> str:
    """'12 customers reassigned', with the ones left as they were when there are some; `done` is a message id
    (N_("reassigned")), said in the acting user's language."""
    text = gettext("{customers} {done}", customers=count_of(result.changed, "customer"), done=gettext(done))
    unchanged = result.selected - result.changed
    return text + (gettext(" ({customers} already had that owner)", customers=count_of(unchanged, "customer"))
                   if unchanged else "")