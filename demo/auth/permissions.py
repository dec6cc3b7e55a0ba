"""Role-based access control: one permission table, one decorator, pages and API alike
(Q045, Q046).

Roles are granted to users; permissions are granted to roles; views ask for a permission,
never for a role. Adding a role or moving a permission is then an edit to `ROLE_PERMISSIONS`,
not to every view.

`require_permission("articles:write")` works on both kinds of route; only the way the caller
is identified differs:

- pages (any URL outside /api): the Flask-Login session, `current_user`. Anonymous visitors
  are sent to the login page, exactly as `login_required` would.
- the API (/api/...): an `X-API-Key` header, or a JWT (Authorization header or cookie).
  Anonymous callers get a 401 with a `WWW-Authenticate` challenge. The API never falls back
  to the session cookie: it is exempt from the form CSRF check precisely because a browser
  does not attach its credentials automatically (cookie JWTs have their own CSRF check).

A known caller without the permission gets a 403 in the client's format (HTML or JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from flask_jwt_extended import get_current_user, get_jwt, verify_jwt_in_request
from flask_login import current_user

from demo.auth.api_keys import API_KEY_HEADER, authenticate_api_key
from demo.auth.tokens import ROLES_CLAIM, TOKEN_MISSING, role_names, token_refused
from demo.errors import error_response
from demo.extensions import login_manager
from demo.models import ApiKey, User

View = TypeVar("View", bound=Callable[..., Any])

_VIEWER = frozenset({"articles:read", "profile:read"})
_EDITOR = _VIEWER | {"articles:write", "comments:moderate"}
_ADMIN = _EDITOR | {"users:manage", "admin:access"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": _VIEWER,
    "editor": _EDITOR,
    "admin": _ADMIN,
}


def permissions_for(roles: Iterable[str]) -> frozenset[str]:
    """Everything the given roles allow together; unknown role names allow nothing."""
    return frozenset().union(*(ROLE_PERMISSIONS.get(role, frozenset()) for role in roles))


@dataclass(frozen=True)
class Principal:
    """Who is calling, how they proved it, and what their roles allow."""

    user: User
    roles: frozenset[str]
    method: str  # "session", "jwt" or "api_key"
    api_key: ApiKey | None = None

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_for(self.roles)

    def can(self, permission: str) -> bool:
        """True when one of the principal's roles grants `permission`."""
        return permission in self.permissions


def is_api_request() -> bool:
    """True for /api URLs: they authenticate with tokens or keys, never the session."""
    return request.path == "/api" or request.path.startswith("/api/")


def current_principal() -> Principal | None:
    """The caller a `require_permission` / `authenticated` view was let in for."""
    return g.get("principal")


def _api_principal() -> Principal | Response:
    presented_key = request.headers.get(API_KEY_HEADER)
    if presented_key is not None:
        record = authenticate_api_key(presented_key)
        if record is None:
            return token_refused(
                "Invalid or revoked API key.", keyed={API_KEY_HEADER: ["is invalid"]}
            )
        user = record.user
        return Principal(user, frozenset(role_names(user)), "api_key", api_key=record)
    # An invalid, expired or revoked JWT raises here and is answered by the JWT callbacks.
    if verify_jwt_in_request(optional=True) is None:
        return token_refused(
            f"Authentication required: send 'Authorization: Bearer <token>' "
            f"or '{API_KEY_HEADER}: <key>'.",
            error=None,
            keyed=TOKEN_MISSING,
        )
    # Roles come from the signed claim, not the database: that is the point of putting them
    # in the token. A demotion therefore applies from the next access token (15 minutes at
    # most); bumping the user's session_version ends every token at once.
    return Principal(get_current_user(), frozenset(get_jwt().get(ROLES_CLAIM, ())), "jwt")


def _page_principal() -> Principal | Response:
    if not current_user.is_authenticated:
        # Flask-Login's own answer: redirect to `login_view` with ?next=, as login_required.
        return login_manager.unauthorized()
    user = current_user._get_current_object()
    return Principal(user, frozenset(role_names(user)), "session")


def _guard(permission: str | None) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        # No rate limit is applied here: a Flask-Limiter decorator on the view would make
        # the limiter skip the /api blueprints' shared budget for it in `before_request`,
        # and calls refused with 401 before reaching the decorator would then be free.
        # API keys' quota is a blueprint limit too (`demo.api.ratelimits.api_key_quota`).
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            outcome = _api_principal() if is_api_request() else _page_principal()
            if not isinstance(outcome, Principal):
                return outcome
            g.principal = outcome
            if permission is not None and not outcome.can(permission):
                return error_response(403, f"You need the '{permission}' permission to do this.")
            return current_app.ensure_sync(view)(*args, **kwargs)

        # Lets tools and tests see which permission guards a view (None: any caller).
        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def require_permission(permission: str) -> Callable[[View], View]:
    """Let the view run only for a caller whose roles grant `permission`."""
    return _guard(permission)


def authenticated(view: View) -> View:
    """Let the view run for any identified caller (session, JWT or API key), whatever
    their roles."""
    return _guard(None)(view)
