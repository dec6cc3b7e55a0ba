"""Password hashing with bcrypt (Q047).

- The work factor comes from `BCRYPT_LOG_ROUNDS` (12 or more in production, 4 in tests, where
  speed matters and the hashes protect nothing).
- bcrypt only reads the first 72 *bytes* of a password and bcrypt 5 refuses longer input. We
  refuse it explicitly, counting UTF-8 bytes, rather than pre-hashing: a pre-hash changes the
  stored format and invites subtle bugs, and 72 bytes is a generous passphrase.
- `needs_rehash` tells the login path when a stored hash was made with a lower factor than
  the current setting, so hashes get stronger as users log in.
"""

from __future__ import annotations

import bcrypt
from flask import current_app

MAX_PASSWORD_BYTES = 72
DEFAULT_ROUNDS = 12


class PasswordTooLongError(ValueError):
    """The password is longer than bcrypt can use."""


def _rounds() -> int:
    return int(current_app.config.get("BCRYPT_LOG_ROUNDS", DEFAULT_ROUNDS))


def password_bytes(password: str) -> bytes:
    """The UTF-8 bytes bcrypt will hash; refuses passwords over 72 bytes."""
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise PasswordTooLongError(
            f"Passwords can be at most {MAX_PASSWORD_BYTES} bytes long "
            f"(this one is {len(encoded)} bytes in UTF-8)."
        )
    return encoded


def hash_password(password: str) -> str:
    """A salted bcrypt hash of `password` at the configured work factor."""
    return bcrypt.hashpw(password_bytes(password), bcrypt.gensalt(rounds=_rounds())).decode()


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches; False for a wrong, over-long or unreadable hash."""
    try:
        return bcrypt.checkpw(password_bytes(password), password_hash.encode())
    except ValueError:  # over-long password or a hash that is not bcrypt
        return False


def hash_rounds(password_hash: str) -> int:
    """The work factor a bcrypt hash was made with (``$2b$12$...`` -> 12)."""
    return int(password_hash.split("$")[2])


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash is weaker than the current `BCRYPT_LOG_ROUNDS`."""
    try:
        return hash_rounds(password_hash) < _rounds()
    except (IndexError, ValueError):
        return True


def dummy_verify() -> None:
    """Spend the time of one verification, so an unknown account answers as slowly as a
    known one with a wrong password (no user enumeration by timing)."""
    bcrypt.checkpw(b"not-the-password", _dummy_hash())


_DUMMY_HASHES: dict[int, bytes] = {}


def _dummy_hash() -> bytes:
    rounds = _rounds()
    if rounds not in _DUMMY_HASHES:
        _DUMMY_HASHES[rounds] = bcrypt.hashpw(b"dummy", bcrypt.gensalt(rounds=rounds))
    return _DUMMY_HASHES[rounds]
