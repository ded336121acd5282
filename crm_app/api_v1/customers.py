"""/api/v1/customers: a rep's own book, everybody's for executives and admins (repositories/customers.py rules)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import Session, select

from crm_app.api_v1.auth import token_caller
from crm_app.api_v1.common import DEFAULT, Cursor, FilterId, Limit, Record, RecordId, UtcDateTime
from crm_app.api_v1.paging import Page, Sort, keyset_page, sort_choices
from crm_app.api_v1.problems import COMMON, CONDITIONAL, IDEMPOTENT, ApiProblem, domain_errors
from crm_app.api_v1.records import (ETAG_HEADER, IDEMPOTENCY_KEY, IF_MATCH, LOCATION_HEADER, create_record,
                                    delete_record, read_record, update_record)
from crm_app.data.db import read_session
from crm_app.data.models import Customer, CustomerCreate, CustomerUpdate
from crm_app.data.repositories import customers
from crm_app.data.repositories.api_tokens import TokenCaller
from crm_app.data.validation import search_term

router = APIRouter(prefix="/customers", tags=["customers"], responses=COMMON)
PATH = "/api/v1/customers"
# Each sort pages from an index (id: creation order); 100,000 customers must not be sorted per request.
SORTS = {"id": Customer.id, "name": Customer.name, "updated_at": Customer.updated_at}
CustomerSort = Literal[sort_choices(*SORTS)]  # type: ignore[valid-type]


class CustomerOut(Record):
    id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    region: str
    segment: str
    acquisition_channel: str
    owner_id: int | None
    consent_email: bool
    consent_phone: bool
    created_at: UtcDateTime
    updated_at: UtcDateTime


class CustomerPatch(BaseModel):
    """Only the fields sent change; a null empties an optional field. Only admins may set `owner_id`."""

    name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    region: str | None = None
    segment: str | None = None
    acquisition_channel: str | None = None
    consent_email: bool | None = None
    consent_phone: bool | None = None
    owner_id: int | None = None


def _read(actor, customer_id: int):
    return lambda session: CustomerOut.model_validate(
        customers.customer_for(session=session, actor=actor, customer_id=customer_id))


def _lock(customer_id: int):
    return lambda session: session.exec(select(Customer.id).where(Customer.id == customer_id).with_for_update()).first()


@router.get("", response_model=Page[CustomerOut], summary="List customers")
def list_customers(
    caller: TokenCaller = Depends(token_caller), limit: Limit = DEFAULT, cursor: Cursor = None,
    sort: CustomerSort = "id",
    q: str | None = Query(default=None, max_length=100, description="Text in the name, email, company or phone."),
    region: str | None = Query(default=None, max_length=40), segment: str | None = Query(default=None, max_length=40),
    owner_id: FilterId = None, has_open_deals: bool | None = None,
) -> Page[CustomerOut]:
    query = customers.CustomerQuery(search=search_term(q), region=region or None, segment=segment or None,
                                    owner_id=owner_id, has_open_deals=has_open_deals)
    with domain_errors(), read_session() as session:
        statement = customers.matching_customers(session, select(Customer), caller.actor, query)
        rows, following = keyset_page(session, statement, sort=Sort.of(sort, SORTS, Customer.id), cursor=cursor,
                                      limit=limit)
        return Page[CustomerOut](data=[CustomerOut.model_validate(row) for row in rows], next_cursor=following)


@router.get("/{customer_id}", response_model=CustomerOut, summary="Read a customer",
            responses={200: {"headers": ETAG_HEADER}})
def get_customer(customer_id: RecordId, caller: TokenCaller = Depends(token_caller)):
    return read_record(_read(caller.actor, customer_id))


@router.post("", status_code=201, response_model=CustomerOut, summary="Add a customer",
             responses={201: {"headers": ETAG_HEADER | LOCATION_HEADER}, **IDEMPOTENT})
def create_customer(body: CustomerCreate, caller: TokenCaller = Depends(token_caller),
                    idempotency_key: str | None = IDEMPOTENCY_KEY):
    def create(session: Session) -> CustomerOut:
        created = customers.create_customer(session=session, actor=caller.actor, customer_create=body)
        return CustomerOut.model_validate(created)

    return create_record(caller=caller, idempotency_key=idempotency_key, path=PATH, sent=body.model_dump(),
                         create=create, location=lambda record: f"{PATH}/{record.id}")


@router.patch("/{customer_id}", response_model=CustomerOut, summary="Change some of a customer's fields",
              responses={200: {"headers": ETAG_HEADER}, **CONDITIONAL})
def patch_customer(customer_id: RecordId, body: CustomerPatch, caller: TokenCaller = Depends(token_caller),
                   if_match: str | None = IF_MATCH):
    def write(session: Session) -> None:
        current = customers.customer_for(session=session, actor=caller.actor, customer_id=customer_id)
        merged = CustomerUpdate.model_validate(
            {name: getattr(current, name) for name in CustomerPatch.model_fields} | body.model_dump(exclude_unset=True))
        customers.update_customer(session=session, actor=caller.actor, customer_id=customer_id,
                                  customer_update=merged)

    return update_record(if_match=if_match, read=_read(caller.actor, customer_id), lock=_lock(customer_id),
                         write=write)


@router.delete("/{customer_id}", status_code=204, summary="Delete a customer added by mistake",
               responses={**CONDITIONAL, 409: COMMON[422] | {"description": "type=has_history: the customer has "
                          "orders, deals, tasks, feedback or campaigns; merge it in the app instead."}})
def delete_customer(customer_id: RecordId, caller: TokenCaller = Depends(token_caller),
                    if_match: str | None = IF_MATCH):
    def write(session: Session) -> None:
        try:
            customers.delete_customer(session=session, actor=caller.actor, customer_id=customer_id)
        except customers.CustomerHasHistory as refused:
            raise ApiProblem(409, "has_history", str(refused)) from None

    return delete_record(if_match=if_match, read=_read(caller.actor, customer_id), lock=_lock(customer_id),
                         write=write)
