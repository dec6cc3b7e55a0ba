"""Account logic shared by the pages, the token API and OAuth: views stay thin (Q044, Q047)."""

from __future__ import annotations

from sqlalchemy import select

from demo.auth.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from demo.extensions import db
from demo.models import User


def find_user_by_email(email: str) -> User | None:
    """The user with this e-mail address (compared case-insensitively, as stored)."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The user when the e-mail and password match, else None, with no hint which was wrong.

    A successful login re-hashes the password when the configured work factor has risen;
    the caller commits.
    """
    user = find_user_by_email(email)
    if user is None:
        dummy_verify()
        return None
    if not verify_password(password, user.password_hash):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
