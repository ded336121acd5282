"""The one-click unsubscribe every marketing email links to (`/unsubscribe?t=...`), without signing in.

GET shows a button and changes nothing (mail scanners and link previews open links); POST, from that button or
from the mail client itself (RFC 8058: `List-Unsubscribe-Post: List-Unsubscribe=One-Click`), clears the customer's
email consent, audited (crm_app/data/repositories/consent.py). The signed token in the query names the customer;
a forged or altered one changes nothing. The page is in the browser's language (Accept-Language).
"""

from __future__ import annotations

import asyncio
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from crm_app import i18n
from crm_app.data.db import write_session
from crm_app.data.repositories import consent
from crm_app.settings import get_settings

router = APIRouter(include_in_schema=False)

INVALID = i18n.N_("This unsubscribe link is not valid. Use the link in the email as it is, or reply to the email.")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    company = escape(get_settings().company_name)
    lang = i18n.html_lang(i18n.current_language())
    html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{escape(title)} · {company}</title>'
            f'<meta name="robots" content="noindex"></head><body style="font-family:system-ui,sans-serif;'
            f'max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>{escape(title)}</h1>{body}</body></html>')
    # The token is in the address: no referrer carries it elsewhere and no cache keeps the page.
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store",
                                                            "Referrer-Policy": "no-referrer"})


def _invalid() -> HTMLResponse:
    return _page(i18n.gettext("Unsubscribe"), f"<p>{escape(i18n.gettext(INVALID))}</p>", status=400)


@router.get(consent.UNSUBSCRIBE_PATH)
async def get_unsubscribe(request: Request) -> HTMLResponse:
    with i18n.speaking(i18n.request_language(request.headers)):
        token = request.query_params.get("t", "")
        if consent.customer_of_token(token) is None:
            return _invalid()
        question = i18n.gettext("Stop marketing emails from {company}?", company=get_settings().company_name)
        action = f"{consent.UNSUBSCRIBE_PATH}?t={escape(token)}"
        title = i18n.gettext("Unsubscribe")
        return _page(title, f'<p>{escape(question)}</p><form method="post" action="{action}"><button '
                            f'type="submit">{escape(title)}</button></form>')


def _withdraw(customer_id: int) -> None:
    with write_session() as session:
        consent.withdraw_email_consent(session=session, customer_id=customer_id)


@router.post(consent.UNSUBSCRIBE_PATH)
async def post_unsubscribe(request: Request) -> HTMLResponse:
    """The button's, or the mail client's one-click, unsubscribe: the same answer however often it comes."""
    with i18n.speaking(i18n.request_language(request.headers)):
        customer_id = consent.customer_of_token(request.query_params.get("t", ""))
        if customer_id is None:
            return _invalid()
        await asyncio.to_thread(_withdraw, customer_id)
        done = i18n.gettext("You will receive no more marketing emails from {company}.",
                            company=get_settings().company_name)
        return _page(i18n.gettext("You are unsubscribed"), f"<p>{escape(done)}</p>")
