"""Account logic shared by pages, token API and OAuth: views stay thin (Q044, Q047, Q145)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from demo.auth.passwords import (
    MAX_PASSWORD_BYTES,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from demo.extensions import db
from demo.models import Role, User
from demo.tasks.hooks import user_registered

# New accounts can read and comment; editors and admins are promoted by an admin (Q045).
DEFAULT_ROLE = "viewer"


def find_user_by_email(email: str) -> User | None:
    """The user with this e-mail address (compared case-insensitively, as stored)."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The user when the e-mail and password match, else None, with no hint which was wrong.

    A successful login re-hashes the password when the configured work factor has risen;
    the caller commits.
    """
    user = find_user_by_email(email)
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        # No stored hash can match it, but answering at once would reveal the account.
        user = None
    if user is None:
        dummy_verify()
        return None
    if not verify_password(password, user.password_hash):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


class AccountTakenError(Exception):
    """The username or e-mail address already belongs to another account.

    Raised when the database's unique constraint fires although the form's own check
    passed: another request took the name between the check and the commit.
    """

    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def is_taken(field: str, value: str, exclude: User | None = None) -> bool:
    """True when another account uses this username or e-mail (`field`: the column name)."""
    column = {"username": User.username, "email": User.email}[field]
    value = value.strip().lower() if field == "email" else value.strip()
    query = select(User.id).where(column == value)
    if exclude is not None:
        query = query.where(User.id != exclude.id)
    return db.session.scalar(query) is not None


def taken_fields(username: str, email: str, exclude: User | None = None) -> list[str]:
    """Which of `username` and `email` other accounts already use."""
    candidates = (("username", username), ("email", email))
    return [field for field, value in candidates if is_taken(field, value, exclude)]


def _commit_account(username: str, email: str, exclude: User | None = None) -> None:
    """Commit, turning a unique-constraint race into `AccountTakenError`."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        taken = taken_fields(username, email, exclude=exclude)
        raise AccountTakenError(taken or ["username", "email"]) from None


def register_user(username: str, email: str, password: str) -> User:
    """Create and commit an account with the viewer role; raises `AccountTakenError`."""
    role = db.session.scalar(select(Role).where(Role.name == DEFAULT_ROLE))
    user = User(
        username=username.strip(),
        email=email,
        password_hash=hash_password(password),
        roles=[role or Role(name=DEFAULT_ROLE)],
    )
    db.session.add(user)
    _commit_account(username, email)
    # Pages and the API both register here, so both get the welcome mail (Q060, Q166).
    user_registered.send(current_app._get_current_object(), user=user)
    return user


def update_profile(user: User, *, username: str, email: str, bio: str, image: str) -> None:
    """Save the editable profile fields; raises `AccountTakenError`."""
    user.username = username.strip()
    user.email = email
    user.bio = bio or None
    user.image = image or None
    _commit_account(username, email, exclude=user)


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie of `user` (Q145); the caller commits.

    Sessions store ``get_id()``, which contains the version, so they stop loading the user.
    The increment runs in SQL (``SET session_version = session_version + 1``), so two
    concurrent bumps cannot both write the same number.
    """
    user.session_version = User.session_version + 1


def change_password(user: User, new_password: str) -> None:
    """Store a hash of the new password and end the user's other sessions, then commit."""
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    db.session.commit()
