"""The /customers filters, by the keys of the page's URL, as a CustomerQuery: one rule for the list, its saved
views and a campaign audience taken from either, so "the customers of this view" means the same everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from crm_app.data.insights_refresh import latest_churn_risk
from crm_app.data.permissions import Actor
from crm_app.data.repositories.customers import CustomerQuery
from crm_app.data.validation import whole_number

# ?risk=churn: only the customers on the last churn fit's at-risk list (/insights; My day links here).
CHURN_RISK = "churn"
OPEN_DEALS = {"yes": True, "no": False}


@dataclass(frozen=True)
class CustomerFilters:
    """The query the filters name, and when the at-risk list the churn filter reads was fitted (None: no such
    filter, or nothing fitted yet, when it matches nobody)."""

    query: CustomerQuery
    churn_fitted_at: datetime | None = None


def customer_filters(*, session: Session, actor: Actor, filters: Mapping[str, Any]) -> CustomerFilters:
    """The query of /customers' filters {URL key: value}: q (search text), region, segment, owner (a user id; only
    for those who read every book), open_deals (yes / no), risk (churn). A key that is missing, or whose value is
    not of its kind, filters nothing; sorting and paging are the list's own."""
    def text(key: str) -> str:
        value = filters.get(key)
        return value.strip() if isinstance(value, str) else ""

    owner = whole_number(text("owner")) if actor.reads_everything else None
    churn = latest_churn_risk(session=session) if text("risk") == CHURN_RISK else None
    return CustomerFilters(
        query=CustomerQuery(
            search=text("q")[:100], region=text("region") or None, segment=text("segment") or None,
            owner_id=owner or None, has_open_deals=OPEN_DEALS.get(text("open_deals")),
            among=(churn.customer_ids if churn else ()) if text("risk") == CHURN_RISK else None),
        churn_fitted_at=churn.fitted_at if churn else None)
