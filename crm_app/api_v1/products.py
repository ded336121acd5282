"""/api/v1/products: the catalogue order lines use, read by every staff member (as the order form offers it)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from sqlmodel import select

from crm_app.api_v1.auth import token_caller
from crm_app.api_v1.common import DEFAULT, Cursor, Limit, Record, RecordId, UtcDateTime
from crm_app.api_v1.paging import Page, Sort, page_of, sort_choices
from crm_app.api_v1.problems import COMMON, domain_errors
from crm_app.api_v1.records import ETAG_HEADER, read_record
from crm_app.data.db import read_session
from crm_app.data.models import Product
from crm_app.data.permissions import NotFound
from crm_app.data.repositories.api_tokens import TokenCaller

router = APIRouter(prefix="/products", tags=["products"], responses=COMMON)
SORTS = {"id": Product.id, "name": Product.name, "sku": Product.sku, "list_price": Product.list_price}
ProductSort = Literal[sort_choices(*SORTS)]  # type: ignore[valid-type]


class ProductOut(Record):
    id: int
    sku: str
    name: str
    category: str
    list_price: float
    unit_cost: float
    created_at: UtcDateTime
    updated_at: UtcDateTime


@router.get("", response_model=Page[ProductOut], summary="List products")
def list_products(caller: TokenCaller = Depends(token_caller), limit: Limit = DEFAULT, cursor: Cursor = None,
                  sort: ProductSort = "id", category: str | None = Query(default=None, max_length=60)) -> Page[ProductOut]:
    statement = select(Product)
    if category:
        statement = statement.where(Product.category == category)
    with domain_errors(), read_session() as session:
        return page_of(session, statement, sort=Sort.of(sort, SORTS, Product.id), cursor=cursor, limit=limit,
                       out=ProductOut)


def _read(product_id: int):
    def read(session) -> ProductOut:
        product = session.get(Product, product_id)
        if product is None:
            raise NotFound("No such product.")
        return ProductOut.model_validate(product)

    return read


@router.get("/{product_id}", response_model=ProductOut, summary="Read a product",
            responses={200: {"headers": ETAG_HEADER}})
def get_product(product_id: RecordId, caller: TokenCaller = Depends(token_caller)):
    return read_record(_read(product_id))
