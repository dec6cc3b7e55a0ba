"""The token API under /api/auth: JWT login, refresh, logout, cookies for browsers, API keys
(Q048, Q098, Q144).

    POST   /api/auth/token          {"email", "password"} -> access and refresh tokens
    POST   /api/auth/refresh        refresh token -> new access token
    POST   /api/auth/logout         revokes the access token and its refresh token
    GET    /api/auth/me             who am I (JWT or API key)
    POST   /api/auth/cookie-login   the same tokens, as HttpOnly cookies + CSRF cookies
    POST   /api/auth/cookie-echo    a write that accepts a cookie JWT only with X-CSRF-TOKEN
    POST   /api/auth/api-keys       {"name"} -> a new key, shown once
    GET    /api/auth/api-keys       the caller's keys, without secrets
    DELETE /api/auth/api-keys/<id>  revoke a key

The blueprint is exempt from Flask-WTF's form CSRF (see `register_blueprints`): header tokens
and API keys are never sent by a browser on its own, and cookie JWTs get Flask-JWT-Extended's
double-submit check instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_jwt_extended import (
    get_current_user,
    get_jwt,
    get_jwt_request_location,
    jwt_required,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
)
from flask_jwt_extended.exceptions import CSRFError
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from demo.auth.api_keys import create_api_key, revoke_api_key
from demo.auth.permissions import Principal, authenticated, current_principal
from demo.auth.services import authenticate
from demo.auth.tokens import (
    accept_token_scheme,
    access_token_for,
    csrf_refused,
    expires_in_seconds,
    issue_tokens,
    revoke_token_family,
    role_names,
    token_refused,
)
from demo.errors import error_response
from demo.extensions import db, limiter
from demo.models import ApiKey, User

api_bp = Blueprint("auth_api", __name__, url_prefix="/api/auth")
api_bp.before_request(accept_token_scheme)
# Blueprint handlers win over the app-wide one Flask-JWT-Extended registers (a 401).
api_bp.register_error_handler(CSRFError, csrf_refused)

INVALID_LOGIN = "Invalid email or password."
BEARER = "Bearer"
TOO_MANY_ATTEMPTS = "Too many login attempts: retry after the seconds given in Retry-After."
API_KEY_NAME_MAX = 100


def _address_and_account() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"{get_remote_address()}|{str(email or '').strip().lower()}"


def _failed(response: Response) -> bool:
    return response.status_code == 401


# The login page's policy (AUTH_RATE_LIMIT_* settings), with counters shared by both token
# endpoints: guesses per address and account (failures only), and per address. There is no
# limit per account alone: anyone could then lock a user out by failing on purpose.
_per_account = limiter.shared_limit(
    lambda: current_app.config["AUTH_RATE_LIMIT_PER_ACCOUNT"],
    scope="token-login-account",
    key_func=_address_and_account,
    deduct_when=_failed,
    error_message=TOO_MANY_ATTEMPTS,
)
_per_address = limiter.shared_limit(
    lambda: current_app.config["AUTH_RATE_LIMIT_PER_ADDRESS"],
    scope="token-login-address",
    key_func=get_remote_address,
    error_message=TOO_MANY_ATTEMPTS,
)


def user_json(user: User) -> dict[str, Any]:
    """The public view of a user in API answers."""
    return {"id": user.id, "username": user.username, "email": user.email}


def principal_json(principal: Principal) -> dict[str, Any]:
    """How the caller authenticated and what their roles allow."""
    return {
        "method": principal.method,
        "roles": sorted(principal.roles),
        "permissions": sorted(principal.permissions),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def api_key_json(record: ApiKey) -> dict[str, Any]:
    """A key as listed: never its secret, which the server does not have."""
    return {
        "id": record.id,
        "name": record.name,
        "prefix": record.prefix,
        "createdAt": _iso(record.created_at),
        "lastUsedAt": _iso(record.last_used_at),
        "revokedAt": _iso(record.revoked_at),
    }


def _token_answer(access_token: str, refresh_token: str | None = None) -> Response:
    """Token responses use the field names of OAuth 2 (RFC 6749), which clients know."""
    answer: dict[str, Any] = {"access_token": access_token}
    if refresh_token is not None:
        answer["refresh_token"] = refresh_token
    answer.update(token_type=BEARER, expires_in=expires_in_seconds())
    return jsonify(answer)


def _credentials() -> tuple[str, str] | Response:
    """Email and password from a JSON body, or the 422 that says what is missing."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(422, 'Send JSON: {"email": "...", "password": "..."}.')
    missing = {
        field: ["can't be blank"]
        for field in ("email", "password")
        if not isinstance(body.get(field), str) or not body[field]
    }
    if missing:
        return error_response(422, missing)
    return body["email"], body["password"]


def _login() -> User | Response:
    credentials = _credentials()
    if isinstance(credentials, Response):
        return credentials
    user = authenticate(*credentials)
    if user is None:
        # One message for an unknown email and a wrong password: no account enumeration.
        return token_refused(INVALID_LOGIN, error=None, keyed={"credentials": ["invalid"]})
    db.session.commit()  # keeps a hash that `authenticate` upgraded
    return user


@api_bp.post("/token")
@_per_address
@_per_account
def token() -> Response:
    """Exchange an email and password for an access token and a refresh token."""
    user = _login()
    if isinstance(user, Response):
        return user
    tokens = issue_tokens(user)
    return _token_answer(tokens.access_token, refresh_token=tokens.refresh_token)


@api_bp.post("/refresh")
@jwt_required(refresh=True)
def refresh() -> Response:
    """A new access token for a valid refresh token (header or cookie)."""
    access_token = access_token_for(get_current_user(), get_jwt())
    if get_jwt_request_location() == "cookies":
        response = jsonify(refreshed=True)
        set_access_cookies(response, access_token)
        return response
    return _token_answer(access_token)


@api_bp.post("/logout")
@jwt_required()
def logout() -> Response:
    """Revoke this access token and the refresh token it came from."""
    revoke_token_family(get_jwt())
    response = Response(status=204)
    if get_jwt_request_location() == "cookies":
        unset_jwt_cookies(response)
    return response


@api_bp.get("/me")
@authenticated
def me() -> Response:
    """The caller, their roles and permissions, and how they authenticated."""
    principal = current_principal()
    assert principal is not None  # guaranteed by @authenticated
    return jsonify(user=user_json(principal.user), auth=principal_json(principal))


@api_bp.post("/cookie-login")
@_per_address
@_per_account
def cookie_login() -> Response:
    """Log a browser client in: the tokens go into HttpOnly cookies, never into JavaScript.

    Alongside them Flask-JWT-Extended sets `csrf_access_token` / `csrf_refresh_token`, which
    scripts on our own pages can read and must copy into `X-CSRF-TOKEN` on every write.
    """
    user = _login()
    if isinstance(user, Response):
        return user
    tokens = issue_tokens(user)
    response = jsonify(user=user_json(user), roles=role_names(user))
    set_access_cookies(response, tokens.access_token)
    set_refresh_cookies(response, tokens.refresh_token)
    return response


@api_bp.post("/cookie-echo")
@jwt_required()
def cookie_echo() -> Response:
    """A write endpoint: with a cookie JWT it runs only if X-CSRF-TOKEN matches the token."""
    body = request.get_json(silent=True)
    return jsonify(
        echo=body,
        user=user_json(get_current_user()),
        tokenLocation=get_jwt_request_location(),
    )


@api_bp.post("/api-keys")
@jwt_required()
def create_key() -> Response:
    """Create a key. The full key is in this answer only: the server keeps just its hash.

    JWT only: a key cannot create more keys, so a leaked key cannot make itself permanent.
    """
    body = request.get_json(silent=True)
    name = body.get("name") if isinstance(body, dict) else None
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        return error_response(422, {"name": ["can't be blank"]})
    if len(name) > API_KEY_NAME_MAX:
        return error_response(422, {"name": [f"is longer than {API_KEY_NAME_MAX} characters"]})
    created = create_api_key(get_current_user(), name)
    db.session.commit()
    response = jsonify(apiKey={**api_key_json(created.record), "key": created.key})
    response.status_code = 201
    return response


@api_bp.get("/api-keys")
@jwt_required()
def list_keys() -> Response:
    """The caller's keys, newest first, revoked ones included, secrets never."""
    records = db.session.scalars(
        select(ApiKey)
        .where(ApiKey.user_id == get_current_user().id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    )
    return jsonify(apiKeys=[api_key_json(record) for record in records])


@api_bp.delete("/api-keys/<int:key_id>")
@jwt_required()
def revoke_key(key_id: int) -> Response:
    """Revoke one of the caller's keys; someone else's key is a 404, not a 403."""
    record = db.session.get(ApiKey, key_id)
    if record is None or record.user_id != get_current_user().id:
        return error_response(404, "No such API key.")
    revoke_api_key(record)
    db.session.commit()
    return Response(status=204)
