"""The deal pipeline: the board's columns, stage moves, new deals and reassignment, with their ownership rules.

A sales rep sees and changes only the deals they own; executives read every deal and change none; admins do
everything, including giving a deal to another owner. Every change writes an audit row (entity "deal") in the
same transaction; a stage move records the old and the new stage, so the audit trail is each deal's stage history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import field_validator
from sqlmodel import Field, Session, SQLModel, func, select

from crm_app.data.models import Activity, AuditLog, Customer, Deal, Order, Role, User, utcnow
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.repositories import webhooks
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.data.repositories.customers import distinct_values
from crm_app.data.search import name_or_company_matches
from crm_app.data.validation import UNSTORABLE_TEXT, UserInput, unstorable
from crm_app.domain import OPEN_STAGES, STAGE_PROBABILITY, DealStage, OrderStatus
from crm_app.i18n import gettext

ENTITY = "deal"
CARDS_PER_PAGE = 20
# NUMERIC(14, 2) holds amounts below a trillion.
MAX_AMOUNT = 999_999_999_999.99
MOVE_FIELDS = ("stage", "probability", "closed_at", "lost_reason")
CREATE_FIELDS = ("title", "customer_id", "owner_id", "stage", "amount", "probability", "expected_close_date")


class InvalidDealChange(ValueError):
    """A change the rules refuse (unknown stage, Lost without a reason); `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- reading the board ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilter:
    """Which deals the board shows. Values are already validated; None means any."""

    owner_id: int | None = None
    region: str | None = None
    close_month: date | None = None  # the first day of the expected-close month
    overdue_on: date | None = None  # only the deals overdue on this day (domain.deal_is_overdue)


@dataclass(frozen=True)
class ColumnSummary:
    stage: DealStage
    count: int
    total: float
    weighted: float


@dataclass(frozen=True)
class DealCard:
    id: int
    title: str
    customer_id: int
    customer_name: str
    amount: float
    expected_close: date | None
    owner_id: int
    owner_name: str
    stage: DealStage


@dataclass(frozen=True)
class CardPage:
    cards: list[DealCard]
    total: int
    page: int
    pages: int


def _next_month(first_day: date) -> date:
    return date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)


def visible_deals(statement, actor: Actor, board: BoardFilter):
    """Restrict a statement over Deal to what the actor may read and the board's filters."""
    if not actor.reads_everything:
        statement = statement.where(Deal.owner_id == actor.id)
    elif board.owner_id is not None:
        statement = statement.where(Deal.owner_id == board.owner_id)
    if board.region:
        statement = statement.where(
            Deal.customer_id.in_(select(Customer.id).where(Customer.region == board.region))
        )
    if board.close_month:
        statement = statement.where(Deal.expected_close_date >= board.close_month,
                                    Deal.expected_close_date < _next_month(board.close_month))
    if board.overdue_on:
        statement = statement.where(overdue_deal(board.overdue_on))
    return statement


def column_summaries(*, session: Session, actor: Actor, board: BoardFilter,
                     stages: tuple[DealStage, ...] = tuple(DealStage),
                     win_probabilities: Mapping[str, Mapping[int, float]] | None = None) -> list[ColumnSummary]:
    """Per stage of `stages` (all by default), in pipeline order: how many deals, their total amount, and
    sum(amount x probability). An index on (stage, owner, amount, probability) answers it without the rows.

    The probability is the deal's own (its stage's); with `win_probabilities` ({stage: {deal id: P(won)}}, from
    the last win-model fit) an open deal the model scored in the stage it is still in weighs with the model's.
    """
    rows = session.exec(visible_deals(
        select(Deal.stage, func.count(), func.coalesce(func.sum(Deal.amount), 0),
               func.coalesce(func.sum(Deal.amount * Deal.probability), 0)),
        actor, board,
    ).where(Deal.stage.in_(stages)).group_by(Deal.stage)).all()
    found = {DealStage(stage): (count, float(total), float(weighted)) for stage, count, total, weighted in rows}
    if win_probabilities:
        for stage, weighted in _weighted_by_model(session, actor, board, stages, win_probabilities).items():
            found[stage] = (*found[stage][:2], weighted)
    return [
        ColumnSummary(stage=stage, count=count, total=round(total, 2), weighted=round(weighted, 2))
        for stage in DealStage if stage in stages
        for count, total, weighted in [found.get(stage, (0, 0.0, 0.0))]
    ]


def _weighted_by_model(session: Session, actor: Actor, board: BoardFilter, stages: tuple[DealStage, ...],
                       win_probabilities: Mapping[str, Mapping[int, float]]) -> dict[DealStage, float]:
    """Per open stage of `stages` with deals: sum(amount x the model's P(won) of the deal in that stage, else
    the deal's probability)."""
    weighted: dict[DealStage, float] = {}
    rows = session.exec(visible_deals(select(Deal.id, Deal.stage, Deal.amount, Deal.probability), actor, board)
                        .where(Deal.stage.in_([stage for stage in stages if stage in OPEN_STAGES]))).all()
    for deal_id, stage, amount, probability in rows:
        stage = DealStage(stage)
        chosen = win_probabilities.get(stage.value, {}).get(deal_id, probability)
        weighted[stage] = weighted.get(stage, 0.0) + float(amount) * chosen
    return weighted


def overdue_deal(today: date):
    """domain.deal_is_overdue as SQL: an open deal whose expected close date is before `today`."""
    return Deal.stage.in_(OPEN_STAGES) & (Deal.expected_close_date < today)


def _card_order(stage: DealStage):
    """Open deals by the nearest expected close; closed ones most recently closed first."""
    if stage in OPEN_STAGES:
        return (Deal.expected_close_date.asc().nulls_last(), Deal.id)
    return (Deal.closed_at.desc().nulls_last(), Deal.id.desc())


def _card_rows(actor: Actor, board: BoardFilter):
    return (visible_deals(select(Deal.id, Deal.title, Deal.customer_id, Customer.name, Deal.amount,
                            Deal.expected_close_date, Deal.owner_id, User.full_name, Deal.stage), actor, board)
            .join(Customer, Customer.id == Deal.customer_id)
            .join(User, User.id == Deal.owner_id))


def _cards(rows) -> list[DealCard]:
    return [DealCard(id=r[0], title=r[1], customer_id=r[2], customer_name=r[3], amount=float(r[4]),
                     expected_close=r[5], owner_id=r[6], owner_name=r[7], stage=DealStage(r[8])) for r in rows]


def column_cards(*, session: Session, actor: Actor, board: BoardFilter, stage: DealStage, page: int = 1,
                 total: int | None = None) -> CardPage:
    """One page of a stage's cards; pass `total` when the column summary already counted them."""
    if total is None:
        total = session.exec(visible_deals(select(func.count()).select_from(Deal), actor, board)
                             .where(Deal.stage == stage)).one()
    pages = max(1, -(-total // CARDS_PER_PAGE))
    page = min(max(1, page), pages)
    rows = session.exec(
        _card_rows(actor, board)
        .where(Deal.stage == stage)
        .order_by(*_card_order(stage))
        .offset((page - 1) * CARDS_PER_PAGE).limit(CARDS_PER_PAGE)
    ).all()
    cards = _cards(rows)
    return CardPage(cards=cards, total=total, page=page, pages=pages)


@dataclass(frozen=True)
class DealsDue:
    """Open deals of one board filter: how many, their amount, and the first few (nearest expected close first)."""

    count: int
    amount: float
    first: list[DealCard]


def deals_due(*, session: Session, actor: Actor, board: BoardFilter, limit: int) -> DealsDue:
    """The open deals the board shows for `board` (e.g. closing in a month, or overdue on a day), the
    actor's own for a sales rep: their count and amount, and the `limit` closing soonest."""
    is_open = Deal.stage.in_(OPEN_STAGES)
    count, amount = session.exec(visible_deals(
        select(func.count(), func.coalesce(func.sum(Deal.amount), 0)).select_from(Deal), actor, board)
        .where(is_open)).one()
    rows = session.exec(
        _card_rows(actor, board)
        .where(is_open)
        .order_by(Deal.expected_close_date.asc().nulls_last(), Deal.id)
        .limit(limit)
    ).all()
    first = _cards(rows)
    return DealsDue(count=int(count), amount=round(float(amount), 2), first=first)


def board_regions(*, session: Session, actor: Actor) -> list[str]:
    """The regions of the customers whose deals the actor may see, for the region filter."""
    return distinct_values(session=session, actor=actor, column=Customer.region)


# --- one deal's page ------------------------------------------------------------------------------


def _deal_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63 else None


def readable_deal(*, session: Session, actor: Actor, deal_id: Any) -> Deal:
    """The deal when the actor may read it, as on the board: its owner, executives and admins."""
    deal = session.get(Deal, deal_id) if _deal_id(deal_id) else None
    if deal is None or not (actor.reads_everything or deal.owner_id == actor.id):
        raise NotFound(gettext("No such deal."))
    return deal


@dataclass(frozen=True)
class StageSpell:
    """A stretch of time a deal spent in one stage; `left_at` is None for the stage it is in now."""

    stage: DealStage
    entered_at: datetime
    left_at: datetime | None

    def time_spent(self, now: datetime) -> timedelta | None:
        """How long the deal stayed (or has been so far) in the stage; None for the closed stage it rests in."""
        if self.left_at is not None:
            return self.left_at - self.entered_at
        return None if self.stage not in OPEN_STAGES else max(timedelta(0), now - self.entered_at)


def _utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stage_history(*, session: Session, actor: Actor, deal_id: Any) -> list[StageSpell]:
    """The deal's stages in order, from its audit rows: it entered its first stage when created (the create row,
    else the row's created_at) and each stage move ends one spell and starts the next."""
    deal = readable_deal(session=session, actor=actor, deal_id=deal_id)
    rows = session.exec(select(AuditLog).where(AuditLog.entity == ENTITY, AuditLog.entity_id == deal.id,
                                                AuditLog.action.in_(("create", "stage_move")))
                        .order_by(AuditLog.at, AuditLog.id)).all()
    created = next((row for row in rows if row.action == "create"), None)
    moves = [row for row in rows if row.action == "stage_move" and (row.new_values or {}).get("stage")]
    first_stage = ((created.new_values or {}).get("stage") if created else None) \
        or (moves and (moves[0].old_values or {}).get("stage")) or deal.stage
    stage, since = DealStage(first_stage), _utc(created.at if created else deal.created_at)
    spells = []
    for move in moves:
        at = _utc(move.at)
        spells.append(StageSpell(stage=stage, entered_at=since, left_at=at))
        stage, since = DealStage(move.new_values["stage"]), at
    spells.append(StageSpell(stage=stage, entered_at=since, left_at=None))
    return spells


@dataclass(frozen=True)
class OrderMade:
    """The order a won deal became (the one created from it)."""

    id: int
    status: OrderStatus
    total_amount: float


@dataclass(frozen=True)
class DealFile:
    deal: Deal
    customer_name: str
    owner_name: str
    stages: list[StageSpell]
    tasks: list[Activity]
    order: OrderMade | None


def order_made_from(*, session: Session, deal_id: int) -> OrderMade | None:
    """The newest order created from the deal (`Order.deal_id`), if any."""
    row = session.exec(
        select(Order.id, Order.status, Order.total_amount).where(Order.deal_id == deal_id)
        .order_by(Order.id.desc()).limit(1)
    ).first()
    return OrderMade(id=row[0], status=OrderStatus(row[1]), total_amount=float(row[2])) if row else None


def deal_file(*, session: Session, actor: Actor, deal_id: Any) -> DealFile:
    """Everything the deal's page shows, for a deal the actor may read."""
    deal = readable_deal(session=session, actor=actor, deal_id=deal_id)
    customer_name = session.exec(select(Customer.name).where(Customer.id == deal.customer_id)).one()
    owner_name = session.exec(select(User.full_name).where(User.id == deal.owner_id)).one()
    tasks = list(session.exec(select(Activity).where(Activity.deal_id == deal.id)
                              .order_by(Activity.done, Activity.due_at.asc().nulls_last(), Activity.id)))
    return DealFile(deal=deal, customer_name=customer_name, owner_name=owner_name,
                    stages=stage_history(session=session, actor=actor, deal_id=deal.id), tasks=tasks,
                    order=order_made_from(session=session, deal_id=deal.id))


# --- changing deals -------------------------------------------------------------------------------


def changeable_deal(*, session: Session, actor: Actor, deal_id: Any, lock: bool = False) -> Deal:
    """The deal when the actor may change it (its owner or an admin); `lock` holds it for the change."""
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read the pipeline; deal owners and admins change it."))
    deal = None
    if _deal_id(deal_id):
        statement = select(Deal).where(Deal.id == deal_id)
        deal = session.exec(statement.with_for_update() if lock else statement).first()
    if deal is None or not (actor.is_admin or deal.owner_id == actor.id):
        raise NotFound(gettext("No such deal."))
    return deal


def _stage_named(value: Any) -> DealStage:
    try:
        return DealStage(value)
    except ValueError:
        raise InvalidDealChange("stage", gettext("Choose one of the pipeline's stages.")) from None


def _lost_reason(value: Any) -> str:
    reason = value.strip() if isinstance(value, str) else ""
    if not reason:
        raise InvalidDealChange("lost_reason", gettext("Say why the deal was lost."))
    if unstorable(reason):
        raise InvalidDealChange("lost_reason", gettext(UNSTORABLE_TEXT))
    if len(reason) > 200:
        raise InvalidDealChange("lost_reason", gettext("Keep the reason to 200 characters or fewer (it has {count}).",
                                                       count=f"{len(reason):,}"))
    return reason


@dataclass(frozen=True)
class StageMove:
    deal_id: int
    title: str
    customer_id: int
    from_stage: DealStage
    to_stage: DealStage


def move_deal(*, session: Session, actor: Actor, deal_id: int, stage: Any, lost_reason: Any = None) -> StageMove:
    """Move a deal to `stage`, with its default probability.

    Won and Lost close the deal (closed_at is now); Lost needs a reason (1-200 characters). Moving back to an
    open stage reopens it. Moving to the stage it is in changes nothing and writes no audit row.
    """
    target = _stage_named(stage)
    reason = _lost_reason(lost_reason) if target == DealStage.lost else None
    deal = changeable_deal(session=session, actor=actor, deal_id=deal_id, lock=True)
    move = StageMove(deal_id=deal.id, title=deal.title, customer_id=deal.customer_id, from_stage=DealStage(deal.stage),
                     to_stage=target)
    if deal.stage == target:
        return move
    old = snapshot(deal, MOVE_FIELDS)
    deal.stage = target
    deal.probability = STAGE_PROBABILITY[target]
    deal.closed_at = None if target in OPEN_STAGES else utcnow()
    deal.lost_reason = reason
    session.add(deal)
    record_change(session=session, actor_id=actor.id, entity=ENTITY, entity_id=deal.id, action="stage_move",
                  old=old, new=snapshot(deal, MOVE_FIELDS))
    session.flush()
    webhooks.deal_moved(session=session, deal=deal, from_stage=move.from_stage)
    return move


class DealDetails(UserInput, SQLModel):
    """What a user types about a deal: its title, amount and expected close date."""

    title: str = Field(min_length=1, max_length=200)
    amount: float = Field(ge=0, le=MAX_AMOUNT)
    expected_close_date: date

    @field_validator("title", mode="before")
    @classmethod
    def _strip_title(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError(gettext("Give the deal a title."))
        return value

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_is_money(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace(",", "").strip()
        try:
            amount = float(value)
        except (TypeError, ValueError):
            raise ValueError(gettext("Enter the amount as a number, like 12500 or 12500.50.")) from None
        if not 0 <= amount <= MAX_AMOUNT:
            raise ValueError(gettext("Enter an amount from 0 to 999,999,999,999.99."))
        return round(amount, 2)

    @field_validator("expected_close_date", mode="before")
    @classmethod
    def _date_given(cls, value: Any) -> Any:
        if value in (None, ""):
            raise ValueError(gettext("Choose the expected close date."))
        return value


DETAIL_FIELDS = ("title", "amount", "expected_close_date")


class DealCreate(DealDetails):
    """A new deal as a user sends it. It starts as a Lead."""

    customer_id: int = Field(gt=0, lt=2**63)
    # Only admins may name another owner; a rep's deals are always their own.
    owner_id: int | None = Field(default=None, gt=0, lt=2**63)

    @field_validator("customer_id", mode="before")
    @classmethod
    def _customer_chosen(cls, value: Any) -> Any:
        if value in (None, ""):
            raise ValueError(gettext("Choose a customer."))
        return value

    @field_validator("owner_id", mode="before")
    @classmethod
    def _blank_owner(cls, value: Any) -> Any:
        return None if value in ("", None) else value


def _assignable_owner(session: Session, owner_id: int) -> User:
    owner = session.get(User, owner_id)
    if owner is None or not owner.is_active or owner.role not in (Role.sales_rep, Role.admin):
        raise InvalidDealChange("owner_id", gettext("Choose an active sales rep or admin as the owner."))
    return owner


def create_deal(*, session: Session, actor: Actor, deal_create: DealCreate) -> Deal:
    """A new Lead for a customer the actor may sell to: a rep's own customer (owned by the rep), any for admins."""
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read the pipeline; deal owners and admins change it."))
    customer = session.get(Customer, deal_create.customer_id)
    if customer is None or not (actor.is_admin or customer.owner_id == actor.id):
        raise InvalidDealChange("customer_id", gettext("Choose one of your own customers."))
    owner_id = actor.id
    if actor.is_admin and deal_create.owner_id is not None:
        owner_id = _assignable_owner(session, deal_create.owner_id).id
    deal = Deal(title=deal_create.title, customer_id=customer.id, owner_id=owner_id, stage=DealStage.lead,
                amount=deal_create.amount, probability=STAGE_PROBABILITY[DealStage.lead],
                expected_close_date=deal_create.expected_close_date)
    session.add(deal)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity=ENTITY, entity_id=deal.id, action="create",
                  new=snapshot(deal, CREATE_FIELDS))
    return deal


def update_deal(*, session: Session, actor: Actor, deal_id: int, details: DealDetails) -> Deal:
    """Change a deal's title, amount and expected close date; who may is who may move it (`changeable_deal`).
    Only the fields that change are audited; an unchanged form writes nothing."""
    deal = changeable_deal(session=session, actor=actor, deal_id=deal_id, lock=True)
    old = snapshot(deal, DETAIL_FIELDS)
    for name in DETAIL_FIELDS:
        setattr(deal, name, getattr(details, name))
    new = snapshot(deal, DETAIL_FIELDS)
    if new != old:
        session.add(deal)
        record_change(session=session, actor_id=actor.id, entity=ENTITY, entity_id=deal.id, action="update",
                      old=old, new=new)
        session.flush()
    return deal


def reassign_deal(*, session: Session, actor: Actor, deal_id: int, owner_id: Any) -> Deal:
    """Give a deal to another active sales rep or admin; only admins may."""
    if not actor.is_admin:
        raise PermissionDenied(gettext("Only admins reassign deals."))
    deal = changeable_deal(session=session, actor=actor, deal_id=deal_id, lock=True)
    if not isinstance(owner_id, int) or isinstance(owner_id, bool) or not 0 < owner_id < 2**63:
        raise InvalidDealChange("owner_id", gettext("Choose an active sales rep or admin as the owner."))
    owner = _assignable_owner(session, owner_id)
    if deal.owner_id == owner.id:
        return deal
    record_change(session=session, actor_id=actor.id, entity=ENTITY, entity_id=deal.id, action="update",
                  old={"owner_id": deal.owner_id}, new={"owner_id": owner.id})
    deal.owner_id = owner.id
    session.add(deal)
    session.flush()
    return deal


def customers_to_sell_to(*, session: Session, actor: Actor, search: str, limit: int = 20) -> list[tuple[int, str]]:
    """(id, label) of up to `limit` customers the actor may open a deal for, whose name or company matches."""
    statement = select(Customer.id, Customer.name, Customer.company)
    if not actor.is_admin:
        statement = statement.where(Customer.owner_id == actor.id)
    if search.strip():
        statement = statement.where(name_or_company_matches(search))
    rows = session.exec(statement.order_by(Customer.name, Customer.id).limit(limit)).all()
    return [(cid, f"{name} ({company})" if company else name) for cid, name, company in rows]


def assignable_owners(*, session: Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the active sales reps and admins a deal may be given to, for an admin's owner picker."""
    if not actor.is_admin:
        return []
    return [tuple(row) for row in session.exec(
        select(User.id, User.full_name).where(User.is_active.is_(True), User.role.in_((Role.sales_rep, Role.admin)))
        .order_by(User.full_name)
    ).all()]

