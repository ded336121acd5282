"""Webhook secrets and signatures, as the Standard Webhooks specification defines them (standardwebhooks.com).

A secret is "whsec_" followed by the base64 of 32 random bytes. A message is signed with HMAC-SHA256, keyed with
the secret's decoded bytes, over "<webhook-id>.<webhook-timestamp>.<body>"; the `webhook-signature` header is
"v1," followed by the base64 of that MAC. The timestamp is whole seconds since the Unix epoch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one attempt at sending `body`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = b"%s.%d.%s" % (message_id.encode("utf-8"), timestamp, body)
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header of a delivery."""
    return {"content-type": "application/json", "user-agent": "crm_app-webhooks/1",
            "webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, message_id, timestamp, body)}
