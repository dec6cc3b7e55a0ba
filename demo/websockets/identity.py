"""Who is on the other end of a Socket.IO connection (Q125, Q144).

A connection is authenticated once, in the namespace's connect handler, from one of two
credentials:

- a JWT in the connection's `auth` payload (``io(url, {auth: {token}})``), for API clients.
  It goes through the same checks `@jwt_required()` applies to a header token: signature and
  expiry (`decode_token`), access type, the blocklist, and the app's user loader (which also
  refuses tokens older than the user's last "log out everywhere");
- the Flask session cookie, for the app's own pages. The Socket.IO handshake is an ordinary
  HTTP request, so Flask-Login's `current_user` works in the connect handler. A cookie is sent
  by the browser whoever opened the page, which is why the server only accepts same-origin
  connections (Flask-SocketIO's default `cors_allowed_origins`): that is the WebSocket form
  of CSRF protection.

Anything else raises `ConnectionRefusedError`; the client sees the reason in `connect_error`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException, RevokedTokenError
from flask_jwt_extended.internal_utils import (
    has_user_lookup,
    user_lookup,
    verify_token_not_blocklisted,
    verify_token_type,
)
from flask_login import current_user
from flask_socketio import ConnectionRefusedError
from jwt import ExpiredSignatureError, InvalidTokenError, get_unverified_header

from demo.extensions import db
from demo.models import User

MAX_TOKEN_LENGTH = 8192


@dataclass(frozen=True)
class SocketUser:
    """What a connection remembers about its user: plain values, no ORM object."""

    id: int
    username: str

    @classmethod
    def of(cls, user: User) -> SocketUser:
        """Copy the two fields events need, so no session-bound object outlives the connect."""
        return cls(id=user.id, username=user.username)


def authenticate_connection(auth: Any) -> SocketUser:
    """The user a connect belongs to, or `ConnectionRefusedError` saying why not.

    A token, when one is sent, decides alone: a bad token is refused even if a session
    cookie came along, so a client never ends up connected as someone it did not ask to be.
    An `auth` object without a token (Socket.IO clients may put other keys there) leaves the
    decision to the cookie.
    """
    if auth is not None and not isinstance(auth, dict):
        raise ConnectionRefusedError("auth must be an object such as {token: '<jwt>'}")
    if auth and "token" in auth:
        token = auth["token"]
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
            raise ConnectionRefusedError("auth.token must be a non-empty string")
        return SocketUser.of(user_from_token(token))
    if current_user.is_authenticated:
        return SocketUser.of(current_user)
    raise ConnectionRefusedError("authentication required: log in, or send auth={token}")


def user_from_token(token: str) -> User:
    """Verify an access token the way a protected API view would, and load its user."""
    try:
        claims = decode_token(token)
        # Safe to read now: decode_token has verified the signature over it.
        header = get_unverified_header(token)
        verify_token_type(claims, refresh=False)
        verify_token_not_blocklisted(header, claims)
    except ExpiredSignatureError:
        raise ConnectionRefusedError("token expired") from None
    except RevokedTokenError:
        raise ConnectionRefusedError("token revoked") from None
    except (InvalidTokenError, JWTExtendedException) as exc:
        raise ConnectionRefusedError(f"invalid token: {exc}") from None
    subject = str(claims.get("sub", ""))
    if has_user_lookup():
        user = user_lookup(header, claims)
    else:
        user = db.session.get(User, int(subject)) if subject.isdigit() else None
    if user is None:
        raise ConnectionRefusedError("token no longer valid for its user")
    return user
