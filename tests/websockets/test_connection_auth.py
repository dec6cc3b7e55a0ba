"""Socket.IO connections are authenticated: a session cookie or a JWT, else refused (Q125)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from flask_socketio import ConnectionRefusedError

from demo.auth.tokens import revoke_token_family
from demo.extensions import db
from demo.models import User
from demo.websockets.identity import authenticate_connection
from tests.websockets.conftest import access_token

pytestmark = pytest.mark.answers("Q125")

NAMESPACES = ["/chat", "/notifications"]


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_session_cookie_authenticates_a_page_connection(connect, ann, namespace):
    """The Flask-Login session cookie of a logged-in browser is enough to connect."""
    assert connect(namespace, user=ann).is_connected(namespace)


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_jwt_in_the_auth_payload_authenticates_an_api_client(connect, ann, namespace):
    """An access token sent as auth={"token": ...} is enough to connect."""
    assert connect(namespace, token=access_token(ann)).is_connected(namespace)


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_connect_without_credentials_is_refused(connect, app, namespace):
    """No cookie and no token: the server refuses the connection, saying why."""
    assert not connect(namespace).is_connected(namespace)
    with app.test_request_context(), pytest.raises(ConnectionRefusedError) as refused:
        authenticate_connection(None)
    assert "authentication required" in refused.value.error_args["message"]


def _expired(user: User) -> str:
    return create_access_token(identity=user, expires_delta=timedelta(seconds=-1))


def _tampered(user: User) -> str:
    header, payload, signature = access_token(user).split(".")
    flipped = "A" if signature[0] != "A" else "B"
    return f"{header}.{payload}.{flipped}{signature[1:]}"


def _revoked(user: User) -> str:
    token = access_token(user)
    revoke_token_family(decode_token(token))
    return token


def _from_before_log_out_everywhere(user: User) -> str:
    token = access_token(user)
    user.session_version += 1
    db.session.commit()
    return token


BAD_TOKENS = {
    "expired": (_expired, "token expired"),
    "tampered": (_tampered, "invalid token"),
    "refresh-token": (create_refresh_token, "invalid token: Only non-refresh"),
    "revoked": (_revoked, "token revoked"),
    "stale-session-version": (_from_before_log_out_everywhere, "no longer valid"),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_tokens_are_refused_with_a_reason(connect, app, ann, case):
    """Expired, tampered, refresh, revoked and pre-logout tokens cannot open a connection."""
    make_token, reason = BAD_TOKENS[case]
    token = make_token(ann)
    assert not connect("/chat", token=token).is_connected("/chat")
    with app.test_request_context(), pytest.raises(ConnectionRefusedError) as refused:
        authenticate_connection({"token": token})
    assert re.search(reason, refused.value.error_args["message"])


@pytest.mark.parametrize("auth", [{"token": 42}, {"token": ""}, {"jwt": "x"}, "a-token"])
def test_malformed_auth_payloads_are_refused(connect, ann, auth):
    """An auth payload that is not {"token": "<jwt>"} is refused, not crashed on."""
    assert not connect("/chat", auth=auth).is_connected("/chat")


def test_an_auth_object_without_a_token_leaves_it_to_the_cookie(connect, ann):
    """Other keys in `auth` (clients may send some) neither help nor hurt a cookie login."""
    assert connect("/chat", user=ann, auth={"client": "web"}).is_connected("/chat")
    assert not connect("/chat", auth={"client": "web"}).is_connected("/chat")


def test_a_bad_token_is_refused_even_with_a_valid_cookie(connect, ann):
    """A token, when sent, decides alone: a valid session cookie does not rescue it."""
    client = connect("/chat", user=ann, token=_expired(ann))
    assert not client.is_connected("/chat")


@pytest.mark.parametrize(
    ("origin", "status"), [("http://localhost", 200), ("https://evil.example", 400)]
)
def test_handshakes_from_other_origins_are_refused(client, origin, status):
    """Only same-origin pages may open a socket: the WebSocket form of CSRF protection."""
    response = client.get(
        "/socket.io/?EIO=4&transport=polling", headers={"Origin": origin, "Host": "localhost"}
    )
    assert response.status_code == status
    if status == 400:
        assert b"Not an accepted origin" in response.data
    else:
        assert response.headers["Access-Control-Allow-Origin"] == origin
