"""Password hashing (Argon2id) and session tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are RFC 9106's low-memory Argon2id profile.
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as much time as a wrong password: the hash of a
# random secret nobody kept, written out rather than hashed at import, which took 0.1-0.25 s of every worker's start.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$9r1BVR0+I2E50ddN+oCtnA$mQvMJgDTK3NlbRzMN/yHZM3ve6ND5IzWICfhXHiAm8A"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a session token: its SHA-256, so a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()
