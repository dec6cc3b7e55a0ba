"""JSON Web Tokens with Flask-JWT-Extended: what goes in them, and when they stop working
(Q048, Q144).

- Identity: the user id as a string (`sub` must be a string for PyJWT), the roles and the
  user's `session_version` as claims.
- Every token is checked against the blocklist (logout) and the user's current
  `session_version` ("log out everywhere" and password changes end every token at once).
- An access token carries the `jti` and `exp` of the refresh token it came from, so logging out
  with the access token revokes the refresh token too, and every other access token that
  refresh token has minted.
- Every refusal is a 401 in the API's JSON error shape with a `WWW-Authenticate` header; a
  failed cookie CSRF check is a 403 (see `csrf_refused`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from flask_jwt_extended.exceptions import CSRFError

from demo.auth.blocklist import get_blocklist
from demo.errors import error_response
from demo.extensions import db, jwt
from demo.models import User

ROLES_CLAIM = "roles"
SESSION_VERSION_CLAIM = "session_version"
REFRESH_JTI_CLAIM = "refresh_jti"
REFRESH_EXP_CLAIM = "refresh_exp"
REALM = "flaskproof"


@dataclass(frozen=True)
class TokenPair:
    """What a successful login hands out."""

    access_token: str
    refresh_token: str


def role_names(user: User) -> list[str]:
    """The user's role names, sorted so that tokens are stable."""
    return sorted(role.name for role in user.roles)


@jwt.user_identity_loader
def token_identity(user: User) -> str:
    """`sub` is the user id as a string: PyJWT refuses any other type."""
    return str(user.id)


@jwt.additional_claims_loader
def token_claims(user: User) -> dict[str, Any]:
    """Roles let the API authorise without a query; the session version ties the token to
    the user's sessions."""
    return {ROLES_CLAIM: role_names(user), SESSION_VERSION_CLAIM: user.session_version}


@jwt.user_lookup_loader
def load_token_user(_header: dict, payload: dict) -> User | None:
    """The token's user, or None (a 401) when the user is gone or has logged out everywhere."""
    subject = payload["sub"]
    user = db.session.get(User, int(subject)) if subject.isdigit() else None
    if user is None or payload.get(SESSION_VERSION_CLAIM, 0) < user.session_version:
        return None
    return user


@jwt.token_in_blocklist_loader
def token_is_revoked(_header: dict, payload: dict) -> bool:
    """Refuse a token revoked itself, or minted by a refresh token that has been revoked."""
    family = [payload["jti"]]
    if payload.get(REFRESH_JTI_CLAIM):
        family.append(payload[REFRESH_JTI_CLAIM])
    return get_blocklist().is_revoked(*family)


def issue_tokens(user: User) -> TokenPair:
    """A refresh token and an access token linked to it."""
    refresh_token = create_refresh_token(identity=user)
    return TokenPair(
        access_token=access_token_for(user, decode_token(refresh_token)),
        refresh_token=refresh_token,
    )


def access_token_for(user: User, refresh_payload: dict) -> str:
    """A new access token for `user`, remembering which refresh token it came from.

    The claims are read from the database again, so a role change shows up at the next
    refresh at the latest.
    """
    link = {
        REFRESH_JTI_CLAIM: refresh_payload["jti"],
        REFRESH_EXP_CLAIM: refresh_payload["exp"],
    }
    return create_access_token(identity=user, additional_claims=link)


def revoke_token_family(access_payload: dict) -> list[str]:
    """Revoke an access token and the refresh token it came from; return the revoked jtis."""
    blocklist = get_blocklist()
    blocklist.revoke(access_payload["jti"], access_payload["exp"])
    revoked = [access_payload["jti"]]
    if access_payload.get(REFRESH_JTI_CLAIM):
        blocklist.revoke(access_payload[REFRESH_JTI_CLAIM], access_payload[REFRESH_EXP_CLAIM])
        revoked.append(access_payload[REFRESH_JTI_CLAIM])
    return revoked


def expires_in_seconds() -> int:
    """The access token lifetime, for the `expires_in` field of token responses."""
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def accept_token_scheme() -> None:
    """Let `Authorization: Token <jwt>` (the RealWorld Conduit header) mean `Bearer <jwt>`.

    Flask-JWT-Extended knows one header type (`JWT_HEADER_TYPE`, "Bearer"). Rewriting the
    Conduit spelling to the standard one before the view runs keeps both working without
    touching the library: `request.headers` is a live view of the WSGI environ, so the
    extension reads the rewritten value. Registered as a `before_request` of the API
    blueprint only, so no other part of the app sees its headers change.
    """
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "token" and credentials.strip():
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {credentials.strip()}"


TOKEN_MISSING = {"token": ["is missing"]}
TOKEN_INVALID = {"token": ["is invalid"]}
TOKEN_EXPIRED = {"token": ["has expired"]}


def token_refused(
    message: str,
    error: str | None = "invalid_token",
    *,
    keyed: Mapping[str, Sequence[str]] = TOKEN_INVALID,
) -> Response:
    """401 in the client's format, with the RFC 6750 challenge telling it what went wrong.

    JSON clients get the message in ``errors.body`` and, under `keyed`, what failed
    (``"token": ["is missing"]``), as Conduit's reference implementation and the RealWorld
    test suites name it.
    """
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    detail = {"body": [message], **keyed}
    return error_response(401, detail, {"WWW-Authenticate": challenge})


@jwt.unauthorized_loader
def _missing_token(reason: str) -> Response:
    # No credentials at all: RFC 6750 says the challenge carries no error code.
    return token_refused(
        f"Authentication required: {reason.rstrip('.')}.", error=None, keyed=TOKEN_MISSING
    )


@jwt.invalid_token_loader
def _invalid_token(reason: str) -> Response:
    # Flask-JWT-Extended answers 422 by default; a token that fails verification is
    # a failed authentication, and clients handle every such failure the same way.
    return token_refused(f"Invalid token: {reason.rstrip('.')}.")


@jwt.expired_token_loader
def _expired_token(_header: dict, payload: dict) -> Response:
    if payload.get("type") == "refresh":
        return token_refused("The refresh token has expired: log in again.", keyed=TOKEN_EXPIRED)
    return token_refused(
        "The access token has expired: get a new one from /api/auth/refresh.", keyed=TOKEN_EXPIRED
    )


@jwt.revoked_token_loader
def _revoked_token(_header: dict, _payload: dict) -> Response:
    return token_refused("This token has been revoked (logged out): log in again.")


@jwt.needs_fresh_token_loader
def _stale_token(_header: dict, _payload: dict) -> Response:
    return token_refused("This action needs a fresh login: get a token with your password.")


@jwt.user_lookup_error_loader
def _user_gone(_header: dict, _payload: dict) -> Response:
    return token_refused("This token is no longer valid for its user: log in again.")


@jwt.token_verification_failed_loader
def _claims_refused(_header: dict, _payload: dict) -> Response:
    return token_refused("The token's claims were refused.")


def csrf_refused(error: CSRFError) -> Response:
    """A cookie-authenticated write without the matching `X-CSRF-TOKEN` header: 403.

    Flask-JWT-Extended reports this through its unauthorized callback (a 401). Here it is a
    403 on purpose: the cookie did identify the user, so there is nothing to authenticate
    again, and a client that answers 401 by refreshing its token would retry forever. What
    failed is the proof that the request came from our own page.
    """
    return error_response(403, f"CSRF check failed: {str(error).rstrip('.')}.")
