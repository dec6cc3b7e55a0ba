"""API keys: long-lived credentials for scripts and servers, sent as `X-API-Key` (Q098).

A key looks like ``fp_<prefix>_<secret>``. The prefix is a public, unique handle (shown in
listings, used to find the row with one indexed lookup); the secret is 256 random bits and is
shown once, at creation. Only a SHA-256 digest of the whole key is stored.

Why SHA-256 and not bcrypt, as for passwords: bcrypt is slow on purpose so that an attacker
with a stolen hash cannot try the few billion passwords people actually choose. A 256-bit
random secret has no such short list; no hash speed makes guessing it feasible. A slow hash
would instead cost every API request 100 ms or more of CPU. The stored digest is compared
with `hmac.compare_digest`, so the time taken does not reveal how much of a guess matched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from demo.extensions import db
from demo.models import ApiKey, User, utcnow

KEY_PREFIX = "fp"
API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class NewApiKey:
    """A freshly created key: the row, and the full key, which is never stored."""

    record: ApiKey
    key: str


def digest(key: str) -> str:
    """The stored form of a key: its SHA-256, hex-encoded."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(user: User, name: str) -> NewApiKey:
    """Create and store a key for `user`; the caller commits and shows `.key` once."""
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey(user=user, name=name, prefix=prefix, key_hash=digest(key))
    db.session.add(record)
    return NewApiKey(record=record, key=key)


def split_key(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def find_api_key(key: str) -> ApiKey | None:
    """The active key matching the whole of `key`, else None. Reads only."""
    prefix = split_key(key)
    if prefix is None:
        return None
    record = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if record is None or not record.is_active:
        return None
    if not hmac.compare_digest(record.key_hash, digest(key.strip())):
        return None
    return record


def authenticate_api_key(key: str) -> ApiKey | None:
    """The active key matching `key`, with `last_used_at` updated (committed); else None."""
    record = find_api_key(key)
    if record is None:
        return None
    record.last_used_at = utcnow()
    db.session.commit()
    return record


def revoke_api_key(record: ApiKey) -> None:
    """Stop the key working; the row stays for the audit trail. The caller commits."""
    if record.revoked_at is None:
        record.revoked_at = utcnow()
