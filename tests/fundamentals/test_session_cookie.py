"""What Flask's default session stores: a signed, readable, tamper-evident cookie."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

import pytest
from flask import session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer, base64_decode, base64_encode

from demo import create_app

pytestmark = pytest.mark.answers("Q134")


def cookie_app(**overrides):
    """The app on Flask's own signed-cookie session, which this module is about.

    The project's default keeps sessions on the server (Flask-Session, see
    demo.auth.sessions); SESSION_BACKEND="cookie" leaves Flask's interface in place.
    """
    return create_app("testing", SESSION_BACKEND="cookie", **overrides)


@pytest.fixture
def app():
    """The cookie-session app, inside an app context (these tests use no database)."""
    app = cookie_app()
    with app.app_context():
        yield app


def session_cookie(client) -> str:
    """The raw value of the client's session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None, "the app set no session cookie"
    return cookie.value


def visit(client, times: int) -> None:
    """Count `times` visits through the demo endpoint."""
    for _ in range(times):
        assert client.post("/request/session/visit").status_code == 200


def test_the_cookie_payload_is_readable_without_the_secret_key(client):
    """Signed, not encrypted: the session data is base64 JSON anyone can decode."""
    visit(client, 2)
    payload, timestamp, signature = session_cookie(client).split(".")
    assert json.loads(base64_decode(payload)) == {"_permanent": True, "visits": 2}
    assert timestamp and signature


def test_the_signing_serializer_verifies_and_decodes_it(app, client):
    """The app's own serializer (URLSafeTimedSerializer + SECRET_KEY) checks the signature."""
    visit(client, 3)
    serializer = app.session_interface.get_signing_serializer(app)
    assert isinstance(app.session_interface, SecureCookieSessionInterface)
    assert isinstance(serializer, URLSafeTimedSerializer)
    assert serializer.loads(session_cookie(client)) == {"_permanent": True, "visits": 3}


def test_a_tampered_cookie_is_rejected_and_the_session_starts_empty(app, client):
    """Changing the payload breaks the signature: Flask discards it and starts a new session."""
    visit(client, 1)
    _, timestamp, signature = session_cookie(client).split(".")
    forged_payload = base64_encode(json.dumps({"_permanent": True, "visits": 1000})).decode()
    forged = f"{forged_payload}.{timestamp}.{signature}"
    with pytest.raises(BadSignature):
        app.session_interface.get_signing_serializer(app).loads(forged)
    client.set_cookie("session", forged)
    assert client.get("/request/session").get_json() == {"session": {}, "permanent": False}
    assert client.post("/request/session/visit").get_json() == {"visits": 1}


def test_a_cookie_signed_with_another_key_is_rejected_unless_it_is_a_fallback():
    """Rotating SECRET_KEY logs everyone out, unless the old key is in SECRET_KEY_FALLBACKS."""
    old_key, new_key = "o" * 64, "n" * 64
    old_client = cookie_app(SECRET_KEY=old_key).test_client()
    visit(old_client, 1)
    cookie = session_cookie(old_client)

    rotated = cookie_app(SECRET_KEY=new_key).test_client()
    rotated.set_cookie("session", cookie)
    assert rotated.get("/request/session").get_json()["session"] == {}

    with_fallback = cookie_app(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[old_key]).test_client()
    with_fallback.set_cookie("session", cookie)
    assert with_fallback.post("/request/session/visit").get_json() == {"visits": 2}


def test_the_session_cookie_is_httponly_lax_and_expires_when_permanent(client):
    """The project's cookie flags, plus an Expires date because the demo session is permanent."""
    header = client.post("/request/session/visit").headers["Set-Cookie"]
    assert header.startswith("session=")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Expires=" in header
    assert "Path=/" in header


def test_clearing_the_session_deletes_the_cookie(client):
    """An emptied session is answered with a Set-Cookie that expires the cookie."""
    visit(client, 1)
    header = client.delete("/request/session").headers["Set-Cookie"]
    assert header.startswith("session=;")
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in header
    assert client.get_cookie("session") is None


def test_flashed_messages_are_stored_in_the_session(app, client):
    """`flash()` writes to the session cookie (`_flashes`) until the next page reads them."""
    form = {"name": "Ada", "email": "ada@example.com", "message": "Hi", "topics": ["routing"]}
    client.post("/request/contact", data=form)
    stored = app.session_interface.get_signing_serializer(app).loads(session_cookie(client))
    assert stored["_flashes"] == [
        ("message", "Thanks, Ada: your message about 1 topic(s) arrived.")
    ]
    client.get("/request/contact")
    assert "_flashes" not in client.get("/request/session").get_json()["session"]


def test_typed_values_survive_the_round_trip():
    """The tagged JSON serializer keeps tuples, bytes and datetimes distinct from plain JSON."""
    app = cookie_app(WTF_CSRF_ENABLED=False)  # its own POST routes, not a CSRF test
    value = {"pair": (1, 2), "raw": b"\x00\x01", "when": datetime(2024, 11, 13, 9, 30, tzinfo=UTC)}

    @app.post("/test/store")
    def store() -> dict[str, bool]:
        session.update(value)
        return {}

    @app.get("/test/load")
    def load() -> dict[str, bool]:
        return {"same": {key: session[key] for key in value} == value}

    client = app.test_client()
    client.post("/test/store")
    assert client.get("/test/load").get_json() == {"same": True}


def test_in_place_changes_to_mutable_values_need_modified():
    """`session["cart"].append(...)` is not noticed; set `session.modified = True` to save it."""
    app = cookie_app(WTF_CSRF_ENABLED=False)  # its own POST routes, not a CSRF test

    @app.post("/test/cart/<item>")
    def add_to_cart(item: str) -> dict[str, list[str]]:
        session.setdefault("cart", [])
        session["cart"].append(item)  # mutates the list; the session sees no __setitem__
        if item == "marked":
            session.modified = True
        return {"cart": session["cart"]}

    @app.get("/test/cart")
    def show_cart() -> dict[str, list[str]]:
        return {"cart": session.get("cart", [])}

    client = app.test_client()
    client.post("/test/cart/first")  # setdefault stored the list, so this one is saved
    client.post("/test/cart/lost")
    assert client.get("/test/cart").get_json() == {"cart": ["first"]}
    client.post("/test/cart/marked")
    assert client.get("/test/cart").get_json() == {"cart": ["first", "marked"]}


def test_an_oversized_session_triggers_werkzeug_s_warning():
    """Browsers drop cookies over ~4 kB; Werkzeug warns instead of failing silently."""
    app = cookie_app(WTF_CSRF_ENABLED=False)  # its own POST routes, not a CSRF test

    @app.post("/test/big")
    def big() -> dict[str, bool]:
        # Random data: repetitive text would be zlib-compressed below the limit.
        session["blob"] = secrets.token_hex(4000)
        return {}

    with pytest.warns(UserWarning, match="cookie is too large"):
        app.test_client().post("/test/big")
