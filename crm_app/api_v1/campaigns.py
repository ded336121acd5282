"""/api/v1/campaigns: campaigns' settings as repositories/campaigns.py lets the token's user read and change them
(marketers and admins run them; a rep reads those with a target among their customers). Audiences and starting a
campaign stay on its page and `crm-app campaign`."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import Session, select

from crm_app.api_v1.auth import token_caller
from crm_app.api_v1.common import DEFAULT, Cursor, Limit, Record, RecordId, UtcDateTime
from crm_app.api_v1.paging import Page, Sort, page_of, sort_choices
from crm_app.api_v1.problems import COMMON, CONDITIONAL, IDEMPOTENT, ApiProblem, domain_errors
from crm_app.api_v1.records import (ETAG_HEADER, IDEMPOTENCY_KEY, IF_MATCH, LOCATION_HEADER, create_record,
                                    read_record, update_record)
from crm_app.data.db import read_session
from crm_app.data.models import Campaign
from crm_app.data.repositories import campaigns
from crm_app.data.repositories.api_tokens import TokenCaller
from crm_app.domain import CampaignChannel, CampaignStatus

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=COMMON)
PATH = "/api/v1/campaigns"
SORTS = {"id": Campaign.id, "start_date": Campaign.start_date}
CampaignSort = Literal[sort_choices(*SORTS)]  # type: ignore[valid-type]
DRAFT_FIELDS = tuple(campaigns.CampaignDraft.model_fields)


class CampaignOut(Record):
    id: int
    name: str
    channel: CampaignChannel
    status: CampaignStatus
    start_date: date
    end_date: date
    cost: float
    offer: str
    attribution_days: int
    holdout_share: float
    email_subject: str
    email_body: str
    owner_id: int | None
    started_at: UtcDateTime | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class CampaignPatch(BaseModel):
    """Only the fields sent change; a started campaign keeps its settings (409)."""

    name: str | None = None
    channel: CampaignChannel | None = None
    offer: str | None = None
    cost: float | None = None
    start_date: date | None = None
    end_date: date | None = None
    attribution_days: int | None = None
    holdout_share: float | None = None
    email_subject: str | None = None
    email_body: str | None = None


def _read(actor, campaign_id: int):
    return lambda session: CampaignOut.model_validate(
        campaigns.campaign_for(session=session, actor=actor, campaign_id=campaign_id))


@router.get("", response_model=Page[CampaignOut], summary="List campaigns")
def list_campaigns(caller: TokenCaller = Depends(token_caller), limit: Limit = DEFAULT, cursor: Cursor = None,
                   sort: CampaignSort = "-start_date", status: CampaignStatus | None = None) -> Page[CampaignOut]:
    statement = campaigns.readable_campaigns(select(Campaign), caller.actor)
    if status is not None:
        statement = statement.where(Campaign.status == status)
    with domain_errors(), read_session() as session:
        return page_of(session, statement, sort=Sort.of(sort, SORTS, Campaign.id), cursor=cursor, limit=limit,
                       out=CampaignOut)


@router.get("/{campaign_id}", response_model=CampaignOut, summary="Read a campaign",
            responses={200: {"headers": ETAG_HEADER}})
def get_campaign(campaign_id: RecordId, caller: TokenCaller = Depends(token_caller)):
    return read_record(_read(caller.actor, campaign_id))


@router.post("", status_code=201, response_model=CampaignOut, summary="Create a draft campaign",
             responses={201: {"headers": ETAG_HEADER | LOCATION_HEADER}, **IDEMPOTENT})
def create_campaign(body: campaigns.CampaignDraft, caller: TokenCaller = Depends(token_caller),
                    idempotency_key: str | None = IDEMPOTENCY_KEY):
    def create(session: Session) -> CampaignOut:
        return CampaignOut.model_validate(campaigns.create_campaign(session=session, actor=caller.actor, draft=body))

    return create_record(caller=caller, idempotency_key=idempotency_key, path=PATH, sent=body.model_dump(mode="json"),
                         create=create, location=lambda record: f"{PATH}/{record.id}")


@router.patch("/{campaign_id}", response_model=CampaignOut, summary="Change a draft campaign's settings",
              responses={200: {"headers": ETAG_HEADER}, **CONDITIONAL,
                         409: COMMON[422] | {"description": "type=started: a started campaign keeps its settings."}})
def patch_campaign(campaign_id: RecordId, body: CampaignPatch, caller: TokenCaller = Depends(token_caller),
                   if_match: str | None = IF_MATCH):
    def write(session: Session) -> None:
        current = campaigns.campaign_for(session=session, actor=caller.actor, campaign_id=campaign_id)
        draft = campaigns.CampaignDraft.model_validate(
            {name: getattr(current, name) for name in DRAFT_FIELDS} | body.model_dump(exclude_unset=True))
        try:
            campaigns.update_campaign(session=session, actor=caller.actor, campaign_id=campaign_id, draft=draft)
        except campaigns.CampaignLocked as locked:
            raise ApiProblem(409, "started", str(locked)) from None

    return update_record(if_match=if_match, read=_read(caller.actor, campaign_id), write=write,
                         lock=lambda session: session.exec(select(Campaign.id).where(Campaign.id == campaign_id)
                                                           .with_for_update()).first())
