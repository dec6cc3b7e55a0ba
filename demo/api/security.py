"""Who is calling: the JWT of `Authorization: Token <jwt>` (Conduit) or `Bearer <jwt>` (Q085).

Token checks (signature, expiry, revocation, the user's `session_version`) and the 401
answers live in `demo.auth.tokens`; here are the two guards the views use and the viewer
they produce:

- `auth_required`: no valid token, 401.
- `auth_optional`: no token is an anonymous viewer; an invalid or expired token is still a
  401, because a client that sent credentials should learn that they no longer work rather
  than silently see the anonymous version of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_jwt_extended import get_current_user, jwt_required

from demo.models import User

F = TypeVar("F", bound=Callable[..., Any])


def auth_required(view: F) -> F:
    """The view runs only for a valid token; `viewer()` is then a `User`."""
    return jwt_required()(view)


def auth_optional(view: F) -> F:
    """The view runs with or without a token; `viewer()` is a `User` or None."""
    return jwt_required(optional=True)(view)


def viewer() -> User | None:
    """The user the request's token names (None when an optional token was absent)."""
    return get_current_user()


def signed_in_viewer() -> User:
    """The viewer in an `auth_required` view, where there always is one."""
    user = get_current_user()
    if user is None:  # jwt_required has refused such a request already
        raise RuntimeError("signed_in_viewer() outside an auth_required view")
    return user
