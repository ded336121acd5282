"""A customer's email consent as marketing mail sees it: the signed unsubscribe link every marketing email carries,
and withdrawing the consent through it (audited).

The link names the customer and is signed with CRM_SECRET_KEY; it does not expire and may be used again (a second
unsubscribe changes nothing), so an old newsletter's link still works years later.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from sqlmodel import Session

from crm_app.data.models import Customer
from crm_app.data.repositories.audit import record_change
from crm_app.settings import get_settings

UNSUBSCRIBE_SALT = "unsubscribe"
UNSUBSCRIBE_PATH = "/unsubscribe"
# A token is a few dozen characters; anything far longer is not one of ours.
TOKEN_LIMIT = 256


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(customer_id: int) -> str:
    return _serializer().dumps({"customer": customer_id})


def unsubscribe_url(customer_id: int) -> str:
    """The one-click unsubscribe link of a customer, on the app's public address (CRM_PUBLIC_URL)."""
    return f"{get_settings().link_base}{UNSUBSCRIBE_PATH}?t={unsubscribe_token(customer_id)}"


def customer_of_token(token: object) -> int | None:
    """The customer id an unsubscribe token was signed for; None when it is forged, altered or not a token."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_LIMIT:
        return None
    try:
        claim = _serializer().loads(token)
    except BadSignature:
        return None
    customer_id = claim.get("customer") if isinstance(claim, dict) else None
    return customer_id if isinstance(customer_id, int) and not isinstance(customer_id, bool) else None


def withdraw_email_consent(*, session: Session, customer_id: int) -> bool:
    """Clear the customer's email consent (the customer's own one-click unsubscribe, so no staff actor) and audit
    it; False when there was none to clear (already unsubscribed, or the customer was erased)."""
    cleared = session.exec(
        update(Customer).where(Customer.id == customer_id, Customer.consent_email.is_(True))
        .values(consent_email=False)
    ).rowcount
    if cleared:
        record_change(session=session, actor_id=None, entity="customer", entity_id=customer_id,
                      action="unsubscribe", old={"consent_email": True}, new={"consent_email": False})
    return bool(cleared)


def has_email_consent(*, session: Session, customer_id: int) -> bool:
    customer = session.get(Customer, customer_id)
    return bool(customer is not None and customer.consent_email)
