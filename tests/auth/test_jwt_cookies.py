"""The same JWTs in cookies for browsers, with Flask-JWT-Extended's double-submit CSRF check."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from demo import create_app
from demo.extensions import db
from tests.auth.token_support import PASSWORD, bearer, create_user, get_tokens

# Production settings, minus the cost: bcrypt at its minimum work factor keeps the test fast.
PRODUCTION_OVERRIDES = {
    "SECRET_KEY": "s" * 64,
    "JWT_SECRET_KEY": "j" * 64,
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "REDIS_URL": None,
    "BCRYPT_LOG_ROUNDS": 4,
}


def _set_cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    headers = response.headers.getlist("Set-Cookie")
    return {header.split("=", 1)[0]: header for header in headers}


def _cookie_login(client: FlaskClient, email: str = "ada@example.com"):
    return client.post("/api/auth/cookie-login", json={"email": email, "password": PASSWORD})


def _csrf(client: FlaskClient, name: str = "csrf_access_token") -> dict[str, str]:
    """What the page's JavaScript does: copy the readable CSRF cookie into the header."""
    return {"X-CSRF-TOKEN": client.get_cookie(name).value}


@pytest.fixture
def browser(app, client) -> FlaskClient:
    """A client logged in through POST /api/auth/cookie-login."""
    create_user("ada", "editor")
    assert _cookie_login(client).status_code == 200
    return client


@pytest.mark.answers("Q144")
def test_cookie_login_sets_httponly_token_cookies_and_readable_csrf_cookies(app, client):
    """The tokens are HttpOnly and path-scoped; only the CSRF values are readable by scripts."""
    create_user("ada")
    response = _cookie_login(client)
    cookies = _set_cookies(response)

    assert response.status_code == 200
    assert "access_token" not in response.get_json()  # never handed to JavaScript
    access, refresh = cookies["access_token_cookie"], cookies["refresh_token_cookie"]
    assert "HttpOnly" in access and "HttpOnly" in refresh
    assert "Path=/api/;" in access
    assert "Path=/api/auth/refresh;" in refresh
    for name in ("csrf_access_token", "csrf_refresh_token"):
        assert "HttpOnly" not in cookies[name]
        assert "Path=/;" in cookies[name]
    assert all("SameSite=Lax" in header for header in cookies.values())
    assert all("Secure" not in header for header in cookies.values())  # plain HTTP in dev


@pytest.mark.answers("Q144")
def test_cookie_write_without_the_csrf_header_is_refused_with_403(browser):
    """A cookie-authenticated POST without X-CSRF-TOKEN is what a forged cross-site form sends."""
    response = browser.post("/api/auth/cookie-echo", json={"title": "forged"})

    assert response.status_code == 403
    assert response.get_json() == {"errors": {"body": ["CSRF check failed: Missing CSRF token."]}}


@pytest.mark.answers("Q144")
def test_cookie_write_with_a_wrong_csrf_header_is_refused(browser):
    """The header must match the value signed into the access token, not just be present."""
    response = browser.post(
        "/api/auth/cookie-echo", json={"title": "x"}, headers={"X-CSRF-TOKEN": "guessed"}
    )

    assert response.status_code == 403
    assert "do not match" in response.get_json()["errors"]["body"][0]


@pytest.mark.answers("Q144")
def test_cookie_write_with_the_csrf_header_copied_from_the_cookie_succeeds(browser):
    """Copying csrf_access_token into X-CSRF-TOKEN, as our own page's script does, passes."""
    response = browser.post(
        "/api/auth/cookie-echo", json={"title": "hello"}, headers=_csrf(browser)
    )

    assert response.status_code == 200
    assert response.get_json()["echo"] == {"title": "hello"}
    assert response.get_json()["tokenLocation"] == "cookies"
    assert response.get_json()["user"]["username"] == "ada"


@pytest.mark.answers("Q144")
def test_cookie_reads_need_no_csrf_header(browser):
    """GET is not checked: it must not change anything, and a cross-site page cannot read it."""
    response = browser.get("/api/auth/me")

    assert response.status_code == 200
    assert response.get_json()["auth"]["method"] == "jwt"


@pytest.mark.answers("Q144")
def test_header_tokens_need_no_csrf_header(app, client):
    """A Bearer token is never attached by the browser on its own, so there is no CSRF risk."""
    access = get_tokens(client, create_user("ada"))["access_token"]
    response = client.post("/api/auth/cookie-echo", json={"n": 1}, headers=bearer(access))

    assert response.status_code == 200
    assert response.get_json()["tokenLocation"] == "headers"


@pytest.mark.answers("Q144")
def test_cookie_refresh_needs_the_refresh_csrf_value_and_sets_a_new_access_cookie(browser):
    """The refresh cookie needs the csrf_refresh_token value; success sets a new access cookie."""
    old_access = browser.get_cookie("access_token_cookie", path="/api/").value

    refused = browser.post("/api/auth/refresh")
    accepted = browser.post("/api/auth/refresh", headers=_csrf(browser, "csrf_refresh_token"))

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert "access_token_cookie" in _set_cookies(accepted)
    assert browser.get_cookie("access_token_cookie", path="/api/").value != old_access


@pytest.mark.answers("Q144")
def test_cookie_logout_clears_the_cookies_and_revokes_the_tokens(browser):
    """Logout deletes the cookies and blocklists the tokens, so a copied cookie is useless too."""
    stolen = browser.get_cookie("access_token_cookie", path="/api/").value

    response = browser.post("/api/auth/logout", headers=_csrf(browser))

    assert response.status_code == 204
    cleared = _set_cookies(response)
    assert {"access_token_cookie", "refresh_token_cookie", "csrf_access_token"} <= set(cleared)
    assert all(
        "Max-Age=0" in header or "Expires=Thu, 01 Jan 1970" in header for header in cleared.values()
    )
    assert browser.get("/api/auth/me").status_code == 401
    replay = browser.application.test_client()
    replay.set_cookie("access_token_cookie", stolen, path="/api/")
    assert replay.get("/api/auth/me").status_code == 401


@pytest.mark.answers("Q144")
def test_production_marks_the_jwt_cookies_secure(database_server):
    """In production every JWT cookie is Secure: never sent over plain HTTP."""
    app = create_app("production", **PRODUCTION_OVERRIDES)
    with app.app_context():
        db.create_all()
        create_user("ada")
        response = _cookie_login(app.test_client())
        db.session.remove()

    assert response.status_code == 200
    cookies = _set_cookies(response)
    assert len(cookies) == 4
    assert all("Secure" in header for header in cookies.values())
