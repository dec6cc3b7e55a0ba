"""Where sessions live, what they hold, how long they last, how they end (Q039-Q042, Q066, Q145).

The server-side tests run twice: on cachelib (the embedded default) and on the real local
Redis (`TEST_REDIS_URL`, else redis://127.0.0.1:6379/15). An unreachable Redis fails them.
Expiry is proven by moving the clock the library reads, or the expiry Redis keeps: no sleeps.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import cachelib.simple
import itsdangerous.timed
import msgspec
import pytest
import redis
from cachelib import FileSystemCache, SimpleCache
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_session.cachelib import CacheLibSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.http import parse_date

from demo import create_app
from demo.auth.sessions import SessionConfigError, session_backend
from demo.extensions import db
from demo.models import User
from tests.support.accounts import AuthActions, csrf_token_in

LIFETIME = timedelta(hours=1)
STRONG_SECRETS = {"SECRET_KEY": "s" * 64, "JWT_SECRET_KEY": "j" * 64}


class Clock:
    """Stands in for a library's `time` (module or function) and moves only when told to."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    __call__ = time  # for code that did `from time import time`

    def advance(self, delta: timedelta) -> None:
        self.now += delta.total_seconds()


@pytest.fixture
def redis_store(redis_server: redis.Redis) -> Iterator[tuple[redis.Redis, str]]:
    """A client for the real local Redis and a key prefix no other test uses."""
    prefix = f"test-{uuid.uuid4().hex}:session:"
    yield redis_server, prefix
    keys = list(redis_server.scan_iter(f"{prefix}*"))
    if keys:
        redis_server.delete(*keys)


@pytest.fixture(params=["cachelib", "redis"])
def server_app(request: pytest.FixtureRequest, make_app) -> Flask:
    """An app with server-side sessions: the testing default (cachelib), or Redis."""
    if request.param == "cachelib":
        return make_app(PERMANENT_SESSION_LIFETIME=LIFETIME)
    client, prefix = request.getfixturevalue("redis_store")
    return make_app(
        SESSION_BACKEND="redis",
        SESSION_REDIS=client,
        SESSION_KEY_PREFIX=prefix,
        PERMANENT_SESSION_LIFETIME=LIFETIME,
    )


def stored_session(app: Flask, session_id: str) -> dict | None:
    """What the server keeps for one session id, read straight from the store."""
    key = app.config["SESSION_KEY_PREFIX"] + session_id
    if app.config["SESSION_BACKEND"] == "redis":
        raw = app.config["SESSION_REDIS"].get(key)
        return msgspec.msgpack.decode(raw) if raw is not None else None
    return app.session_interface.cache.get(key)


def session_cookie(response) -> str:
    """The Set-Cookie header of the session cookie in `response`."""
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def logged_in(client) -> bool:
    """True when the client's cookies get it into a login_required page."""
    return client.get("/auth/profile").status_code == 200


# --- Which backend, and what each stores where (Q039, Q040, Q066) ------------------------


@pytest.mark.answers("Q039", "Q066")
def test_the_backend_follows_the_configuration():
    """Redis when REDIS_URL is set, cachelib otherwise, or whatever SESSION_BACKEND says."""
    app = Flask(__name__)
    assert session_backend(app) == "cachelib"
    app.config["REDIS_URL"] = "redis://cache.internal:6379/0"
    assert session_backend(app) == "redis"
    app.config["SESSION_BACKEND"] = "cookie"
    assert session_backend(app) == "cookie"
    app.config["SESSION_BACKEND"] = "memcached"
    with pytest.raises(SessionConfigError, match="expected one of redis, cachelib, cookie"):
        session_backend(app)
    with pytest.raises(SessionConfigError, match="needs REDIS_URL"):
        create_app("testing", SESSION_BACKEND="redis")


@pytest.mark.answers("Q066")
def test_embedded_mode_keeps_sessions_in_files_and_tests_in_memory(app, make_app):
    """Development without Redis: files under instance/sessions; the testing app: memory."""
    assert isinstance(app.session_interface, CacheLibSessionInterface)
    assert isinstance(app.session_interface.cache, SimpleCache)
    development = make_app("development", SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL=None)
    cache = development.session_interface.cache
    assert isinstance(cache, FileSystemCache)
    assert cache._path == os.path.join(development.instance_path, "sessions")


@pytest.mark.answers("Q039", "Q040")
def test_the_cookie_backend_keeps_the_data_in_the_cookie(make_app, make_user):
    """Flask's own session: the data rides in the cookie, signed (tamper-proof) but readable."""
    app = make_app(SESSION_BACKEND="cookie")
    assert type(app.session_interface) is SecureCookieSessionInterface
    user = make_user("ada")
    browser = app.test_client()
    assert AuthActions(browser).login().status_code == 303

    cookie = browser.get_cookie("session").value
    payload = cookie.rsplit(".", 2)[0]
    # Reading needs no key at all: only *trusting* it needs the signature.
    readable = URLSafeTimedSerializer("not-the-secret-key").load_payload(payload.encode())
    assert readable["_user_id"] == f"{user.id}:1"
    verified = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert verified["_user_id"] == f"{user.id}:1"
    assert "correct-horse-battery" not in str(readable)


@pytest.mark.answers("Q039", "Q040", "Q066")
def test_a_server_side_session_cookie_holds_only_a_random_id(server_app, make_user):
    """Flask-Session: the cookie is an opaque id; the data sits in the store under that id."""
    user = make_user("ada")
    browser = server_app.test_client()
    assert AuthActions(browser).login().status_code == 303

    session_id = browser.get_cookie("session").value
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session_id)  # 32 random bytes, nothing else
    data = stored_session(server_app, session_id)
    assert data["_user_id"] == f"{user.id}:1"
    assert {"_user_id", "_fresh", "_id"} <= data.keys()  # Flask-Login's keys
    assert [list(message) for message in data["_flashes"]] == [["success", "Logged in as ada."]]

    stranger = server_app.test_client()
    stranger.set_cookie("session", "x" * 43)  # a guessed id finds nothing
    assert not logged_in(stranger)


@pytest.mark.answers("Q066", "Q145")
def test_the_store_expires_entries_after_the_session_lifetime(make_app, redis_store, make_user):
    """Redis keeps each session with a TTL of PERMANENT_SESSION_LIFETIME, refreshed on use."""
    client, prefix = redis_store
    app = make_app(
        SESSION_BACKEND="redis",
        SESSION_REDIS=client,
        SESSION_KEY_PREFIX=prefix,
        PERMANENT_SESSION_LIFETIME=LIFETIME,
    )
    make_user("ada")
    browser = app.test_client()
    AuthActions(browser).login()
    key = prefix + browser.get_cookie("session").value
    assert LIFETIME.total_seconds() - 5 <= client.ttl(key) <= LIFETIME.total_seconds()
    client.expire(key, 60)
    browser.get("/auth/profile")  # any request saves the session again
    assert client.ttl(key) > 60


# --- Reading and writing the session; session versus g (Q041, Q042) ----------------------


@pytest.mark.answers("Q041", "Q042")
def test_session_survives_between_requests_and_g_does_not(new_client):
    """`session` is per browser across requests; `g` is per app context, so per request."""
    browser = new_client()
    counts = [browser.get("/auth/session").get_json()["visits"] for _ in range(3)]
    assert counts == [{"session": 1, "g": 1}, {"session": 2, "g": 1}, {"session": 3, "g": 1}]


@pytest.mark.answers("Q042")
def test_g_lives_exactly_as_long_as_the_app_context(client):
    """Hold one app context open around several requests (as the `app` fixture does) and
    they all share its `g`: the count grows, because `g` belongs to the context."""
    counts = [client.get("/auth/session").get_json()["visits"]["g"] for _ in range(3)]
    assert counts == [1, 2, 3]


@pytest.mark.answers("Q041")
def test_tests_read_and_write_the_session_with_session_transaction(new_client):
    """`client.session_transaction()` opens the stored session like a request would."""
    browser = new_client()
    with browser.session_transaction() as session:
        session["visits"] = 41
    assert browser.get("/auth/session").get_json()["visits"]["session"] == 42
    with browser.session_transaction() as session:
        assert session["visits"] == 42


# --- Lifetime and cookie flags (Q145) ----------------------------------------------------


@pytest.mark.answers("Q145")
def test_a_login_session_is_a_browser_session_cookie(server_app, make_user):
    """Without "remember me" the cookie has no Expires: it ends when the browser closes."""
    make_user("ada")
    response = AuthActions(server_app.test_client()).login()
    header = session_cookie(response)
    assert "Expires=" not in header and "Max-Age" not in header


@pytest.mark.answers("Q145")
def test_a_permanent_session_cookie_expires_after_the_lifetime(server_app):
    """`session.permanent = True`: the cookie expires PERMANENT_SESSION_LIFETIME from now."""
    response = server_app.test_client().post("/request/session/visit")
    expires = parse_date(re.search(r"Expires=([^;]+)", session_cookie(response))[1])
    expected = time.time() + LIFETIME.total_seconds()
    assert abs(expires.timestamp() - expected) < 60


@pytest.mark.answers("Q145")
def test_the_session_cookie_is_httponly_and_samesite_lax(new_client, make_user):
    """Scripts cannot read it; other sites' POSTs and subrequests do not carry it."""
    make_user("ada")
    header = session_cookie(AuthActions(new_client()).login())
    assert "; HttpOnly" in header and "; SameSite=Lax" in header and "; Path=/" in header
    assert "Secure" not in header  # plain HTTP in development and tests


@pytest.mark.answers("Q145", "Q096")
def test_production_cookies_are_secure(make_app, make_user):
    """In production the session and remember-me cookies are only ever sent over HTTPS."""
    app = make_app(
        "production",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SESSION_CACHELIB=SimpleCache(),
        BCRYPT_LOG_ROUNDS=4,
        **STRONG_SECRETS,
    )
    make_user("ada")
    site = "https://flaskproof.example"
    browser = app.test_client()
    token = csrf_token_in(browser.get("/auth/login", base_url=site).get_data(as_text=True))
    response = browser.post(
        "/auth/login",
        base_url=site,
        data={
            "csrf_token": token,
            "email": "ada@example.com",
            "password": "correct-horse-battery",
            "remember": "y",
        },
        headers={"Referer": "https://flaskproof.example/auth/login"},  # HTTPS: strict referrer
    )
    assert response.status_code == 303
    cookies = response.headers.getlist("Set-Cookie")
    assert sorted(cookie.split("=", 1)[0] for cookie in cookies) == ["remember_token", "session"]
    assert all("; Secure" in cookie and "; HttpOnly" in cookie for cookie in cookies)


@pytest.mark.answers("Q145")
def test_an_expired_server_session_is_not_accepted(server_app, make_user, monkeypatch):
    """Once the store drops the entry (its TTL ran out), the cookie's id logs in no one."""
    make_user("ada")
    browser = server_app.test_client()
    AuthActions(browser).login()
    assert logged_in(browser)
    key = server_app.config["SESSION_KEY_PREFIX"] + browser.get_cookie("session").value
    if server_app.config["SESSION_BACKEND"] == "redis":
        server_app.config["SESSION_REDIS"].expireat(key, int(time.time()) - 1)
    else:
        clock = Clock()
        monkeypatch.setattr(cachelib.simple, "time", clock)
        clock.advance(LIFETIME + timedelta(seconds=1))
    assert stored_session(server_app, browser.get_cookie("session").value) is None
    assert not logged_in(browser)


@pytest.mark.answers("Q145")
def test_activity_keeps_a_server_session_alive(make_app, make_user, monkeypatch):
    """Each request stores the session again with a fresh TTL: the lifetime is an idle timeout."""
    app = make_app(PERMANENT_SESSION_LIFETIME=LIFETIME)
    clock = Clock()
    monkeypatch.setattr(cachelib.simple, "time", clock)
    make_user("ada")
    browser = app.test_client()
    AuthActions(browser).login()
    for _ in range(3):  # three hours in all, never an hour idle
        clock.advance(LIFETIME - timedelta(minutes=5))
        assert logged_in(browser)
    clock.advance(LIFETIME + timedelta(seconds=1))
    assert not logged_in(browser)


@pytest.mark.answers("Q145")
def test_an_expired_cookie_session_is_not_accepted(make_app, make_user, monkeypatch):
    """The signed cookie carries its signing time; Flask refuses it once older than the lifetime."""
    app = make_app(SESSION_BACKEND="cookie", PERMANENT_SESSION_LIFETIME=LIFETIME)
    clock = Clock()
    monkeypatch.setattr(itsdangerous.timed, "time", clock)
    make_user("ada")
    browser = app.test_client()
    AuthActions(browser).login()
    # A cookie copied before the browser dropped it is still refused by the server.
    stolen = browser.get_cookie("session").value
    clock.advance(LIFETIME - timedelta(seconds=1))
    assert logged_in(browser)
    clock.advance(timedelta(seconds=2))
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert not logged_in(thief)


# --- Ending sessions (Q145) --------------------------------------------------------------


@pytest.mark.answers("Q145")
def test_login_gives_the_session_a_new_id(server_app, make_user):
    """No session fixation: an id known before the login is deleted and logs in no one."""
    make_user("ada")
    browser = server_app.test_client()
    auth = AuthActions(browser)
    auth.csrf_token()  # the form page starts a session (it holds the CSRF secret)
    before = browser.get_cookie("session").value
    assert stored_session(server_app, before) is not None

    auth.login()
    after = browser.get_cookie("session").value
    assert after != before
    assert stored_session(server_app, before) is None
    planted = server_app.test_client()
    planted.set_cookie("session", before)
    assert not logged_in(planted) and logged_in(browser)


@pytest.mark.answers("Q143", "Q145")
def test_logout_deletes_the_server_side_session(server_app, make_user):
    """After logout, a copy of the old cookie is worthless: its entry is gone from the store."""
    make_user("ada")
    browser = server_app.test_client()
    auth = AuthActions(browser)
    auth.login()
    old_id = browser.get_cookie("session").value
    assert auth.logout().status_code == 303
    assert stored_session(server_app, old_id) is None
    replay = server_app.test_client()
    replay.set_cookie("session", old_id)
    assert not logged_in(replay)


@pytest.mark.answers("Q145")
def test_log_out_everywhere_ends_other_sessions_and_remember_cookies(new_client, make_user):
    """One POST bumps session_version: every browser's session and remember-me cookie stop."""
    user = make_user("ada")
    laptop, phone = new_client(), new_client()
    AuthActions(laptop).login()
    AuthActions(phone).login(remember=True)
    remember_cookie = phone.get_cookie("remember_token").value
    assert logged_in(laptop) and logged_in(phone)

    token = AuthActions(laptop).csrf_token("/auth/profile")
    response = laptop.post("/auth/logout-everywhere", data={"csrf_token": token})

    assert response.status_code == 303 and response.location == "/auth/login"
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 2
    assert not logged_in(laptop)
    assert not logged_in(phone)
    only_the_cookie = new_client()  # a fresh browser with nothing but the remember cookie
    only_the_cookie.set_cookie("remember_token", remember_cookie)
    assert not logged_in(only_the_cookie)
    assert AuthActions(phone).login().status_code == 303  # the password still works
    assert logged_in(phone)


@pytest.mark.answers("Q145")
def test_changing_the_password_ends_the_other_sessions_only(new_client, make_user):
    """The browser that changed the password stays in; every other one is logged out."""
    make_user("ada")
    laptop, phone = new_client(), new_client()
    AuthActions(laptop).login(remember=True)
    AuthActions(phone).login(remember=True)

    token = AuthActions(laptop).csrf_token("/auth/profile")
    response = laptop.post(
        "/auth/password",
        data={
            "password-csrf_token": token,
            "password-current_password": "correct-horse-battery",
            "password-new_password": "a-brand-new-secret",
            "password-confirm": "a-brand-new-secret",
        },
    )

    assert response.status_code == 303
    assert logged_in(laptop)
    laptop.delete_cookie("session")  # its remember cookie was re-issued with the new version
    assert logged_in(laptop)
    assert not logged_in(phone)
    assert AuthActions(phone).login().status_code == 422  # the old password is gone
    assert AuthActions(phone).login(password="a-brand-new-secret").status_code == 303
