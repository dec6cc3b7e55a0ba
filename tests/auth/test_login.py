"""Flask-Login: the user loader, login_required, remember me, safe `next`, no enumeration.

(Q043, Q044, Q096, Q143)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import bcrypt
import pytest
from flask_login import AnonymousUserMixin, UserMixin
from werkzeug.http import parse_date

from demo.auth import services
from demo.auth.login import load_user, safe_next_url
from demo.extensions import db, login_manager
from demo.models import User
from tests.support.accounts import AuthActions

OFF_SITE = [
    "//evil.example/phish",
    "https://evil.example/phish",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
]


def logged_in(client) -> bool:
    """True when the client's cookies get it into a login_required page."""
    return client.get("/auth/profile").status_code == 200


# --- The user model and the loader ---------------------------------------------------------


@pytest.mark.answers("Q043")
def test_users_and_anonymous_visitors_answer_flask_login_s_questions(make_user):
    """`UserMixin` gives users is_authenticated/is_active; anonymous visitors get the opposite."""
    user = make_user("ada")
    assert isinstance(user, UserMixin)
    assert (user.is_authenticated, user.is_active, user.is_anonymous) == (True, True, False)
    anonymous = login_manager.anonymous_user()
    assert isinstance(anonymous, AnonymousUserMixin)
    assert (anonymous.is_authenticated, anonymous.is_anonymous, anonymous.get_id()) == (
        False,
        True,
        None,
    )


@pytest.mark.answers("Q143", "Q145")
def test_the_session_id_carries_the_session_version(make_user):
    """`get_id()` is "<id>:<version>", so a version bump outdates every stored id."""
    user = make_user("ada")
    assert user.get_id() == f"{user.id}:1"
    user.session_version = User.session_version + 1
    db.session.commit()
    assert user.get_id() == f"{user.id}:2"


@pytest.mark.answers("Q043", "Q143")
def test_the_user_loader_accepts_only_current_well_formed_ids(make_user):
    """The loader returns the user for "<id>:<version>" and None for anything else."""
    user = make_user("ada")
    assert load_user(f"{user.id}:1") is user
    for stale_or_bogus in (
        f"{user.id}:2",  # a version that is not (or no longer) current
        str(user.id),  # the plain id UserMixin would have stored
        f"{user.id}:1:1",
        "９:1",  # a non-ASCII digit that int() would accept
        "999:1",  # no such user
        "",
    ):
        assert load_user(stale_or_bogus) is None, stale_or_bogus


@pytest.mark.answers("Q043")
def test_the_user_s_equality_is_identity_not_get_id(make_user):
    """Two unsaved users must not compare equal just because both ids are "None:None"."""
    assert User(username="a", email="a@x.example") != User(username="b", email="b@x.example")
    user = make_user("ada")
    assert user == db.session.get(User, user.id)  # one object per row: the identity map


# --- login_required, current_user, log in and out -------------------------------------------


@pytest.mark.answers("Q044", "Q143")
def test_login_required_sends_anonymous_visitors_to_the_login_page(new_client):
    """The redirect carries `next` and flashes Flask-Login's message in the "info" category."""
    browser = new_client()
    response = browser.get("/auth/profile")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=%2Fauth%2Fprofile"
    page = browser.get(response.location).get_data(as_text=True)
    assert '<li class="flash flash-info">Please log in to see that page.</li>' in page


@pytest.mark.answers("Q043", "Q044", "Q143", "Q067", "Q135")
def test_logging_in_and_out_changes_current_user_in_every_template(new_client, make_user):
    """The navigation bar reads `current_user`, which Flask-Login puts in every template."""
    make_user("ada")
    browser = new_client()
    auth = AuthActions(browser)
    anonymous_page = browser.get("/answers/").get_data(as_text=True)
    assert 'href="/auth/login">Log in</a>' in anonymous_page
    assert 'href="/auth/register">Register</a>' in anonymous_page

    response = auth.login()
    assert (response.status_code, response.location) == (303, "/auth/profile")
    page = browser.get("/answers/").get_data(as_text=True)
    assert '<span class="nav-user">ada</span>' in page
    assert 'href="/auth/profile">Profile</a>' in page
    assert 'action="/auth/logout"' in page and "Log in</a>" not in page

    response = auth.logout()
    assert (response.status_code, response.location) == (303, "/auth/login")
    page = browser.get(response.location).get_data(as_text=True)
    assert "You have been logged out." in page and "nav-user" not in page
    assert not logged_in(browser)


@pytest.mark.answers("Q143")
def test_logout_is_a_post_only(new_client, make_user):
    """A link (GET) cannot log anyone out: another site could embed it as an image."""
    make_user("ada")
    browser = new_client()
    AuthActions(browser).login()
    assert browser.get("/auth/logout").status_code == 405
    assert logged_in(browser)


@pytest.mark.answers("Q143")
def test_the_auth_fixture_drives_the_shared_client(client, auth, make_user):
    """The flaskr-style `auth` fixture logs the plain `client` in and out."""
    make_user("ada")
    assert auth.login().status_code == 303
    assert client.get("/auth/profile").status_code == 200
    assert auth.logout().status_code == 303
    assert client.get("/auth/profile").status_code == 302
    assert auth.register("grace").status_code == 303
    assert "grace" in client.get("/auth/profile").get_data(as_text=True)


# --- Remember me -----------------------------------------------------------------------------


@pytest.mark.answers("Q143")
def test_remember_me_restores_the_login_when_the_session_is_gone(new_client, make_user):
    """The signed remember_token cookie logs the browser back in and starts a new session."""
    user = make_user("ada")
    browser = new_client()
    AuthActions(browser).login(remember=True)
    assert browser.get_cookie("remember_token").value.startswith(f"{user.id}:1|")

    browser.delete_cookie("session")  # the browser was closed: session cookies are gone
    assert logged_in(browser)
    assert browser.get_cookie("session") is not None


@pytest.mark.answers("Q143")
def test_without_remember_me_closing_the_browser_logs_out(new_client, make_user):
    """No remember cookie: once the session cookie is gone, so is the login."""
    make_user("ada")
    browser = new_client()
    AuthActions(browser).login()
    assert browser.get_cookie("remember_token") is None
    browser.delete_cookie("session")
    assert not logged_in(browser)


@pytest.mark.answers("Q143", "Q145")
def test_the_remember_cookie_is_httponly_lax_and_lasts_thirty_days(app, new_client, make_user):
    """Its flags match the session cookie's; its lifetime is REMEMBER_COOKIE_DURATION."""
    make_user("ada")
    response = AuthActions(new_client()).login(remember=True)
    header = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
    )
    assert "; HttpOnly" in header and "; SameSite=Lax" in header and "Expires=" in header
    expires = parse_date(re.search(r"Expires=([^;]+)", header)[1])
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    assert abs(expires - datetime.now(UTC) - timedelta(days=30)) < timedelta(minutes=1)


@pytest.mark.answers("Q143")
def test_a_forged_remember_cookie_is_refused(new_client, make_user):
    """The cookie is HMAC-signed with SECRET_KEY: changing the id inside it breaks it."""
    make_user("ada")
    victim = make_user("grace")
    browser = new_client()
    AuthActions(browser).login(remember=True)
    _, digest = browser.get_cookie("remember_token").value.split("|")
    attacker = new_client()
    attacker.set_cookie("remember_token", f"{victim.id}:1|{digest}")
    assert not logged_in(attacker)


@pytest.mark.answers("Q143")
def test_logout_deletes_the_remember_cookie(new_client, make_user):
    """Logging out expires the remember cookie too, or the next visit would log back in."""
    make_user("ada")
    browser = new_client()
    auth = AuthActions(browser)
    auth.login(remember=True)
    response = auth.logout()
    deleted = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0]
    assert browser.get_cookie("remember_token") is None
    assert not logged_in(browser)


# --- The `next` parameter ---------------------------------------------------------------------


@pytest.mark.answers("Q143")
def test_login_returns_to_the_page_that_asked_for_it(new_client, make_user):
    """A same-site `next` (path and query) is where the login ends."""
    make_user("ada")
    response = AuthActions(new_client()).login(next="/auth/profile?tab=password")
    assert (response.status_code, response.location) == (303, "/auth/profile?tab=password")


@pytest.mark.answers("Q143", "Q096")
@pytest.mark.parametrize("target", OFF_SITE)
def test_an_off_site_next_is_ignored(new_client, make_user, target):
    """No open redirect: every off-site or scripted `next` falls back to the profile page."""
    make_user("ada")
    browser = new_client()
    page = browser.get("/auth/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page and "alert" not in page  # not even echoed into the form
    response = AuthActions(browser).login(next=target)
    assert (response.status_code, response.location) == (303, "/auth/profile")


@pytest.mark.answers("Q143")
@pytest.mark.parametrize("target", [*OFF_SITE, "", None])
def test_safe_next_url_refuses_anything_but_a_local_path(target):
    """The check itself, without a request: only paths starting with one "/" pass."""
    assert safe_next_url(target) is None
    assert safe_next_url("/articles/one?page=2#comments") == "/articles/one?page=2#comments"


# --- No account enumeration (Q096) ------------------------------------------------------------


@pytest.mark.answers("Q096")
def test_unknown_email_and_wrong_password_get_the_same_answer(new_client, make_user):
    """Same status, same message, same page: the answer says nothing about which was wrong."""
    make_user("ada")
    browser = new_client()
    auth = AuthActions(browser)
    unknown = auth.login("nobody@example.com", "correct-horse-battery")
    wrong = auth.login("ada@example.com", "not-her-password")
    assert unknown.status_code == wrong.status_code == 422
    message = '<ul class="form-errors" role="alert">'
    for response in (unknown, wrong):
        body = response.get_data(as_text=True)
        assert message in body and "Invalid e-mail address or password." in body

    def comparable(response) -> str:
        """The page without the two things that may differ: the typed address, the token."""
        page = response.get_data(as_text=True).replace("nobody@example.com", "ada@example.com")
        return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "TOKEN", page)

    assert comparable(unknown) == comparable(wrong)


@pytest.mark.answers("Q096")
def test_an_unknown_email_still_costs_one_bcrypt_check(app, monkeypatch, make_user):
    """`dummy_verify` runs bcrypt for unknown accounts, so timing does not tell them apart."""
    make_user("ada")
    checks = []
    real_checkpw = bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        checks.append(hashed[:7])
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting_checkpw)
    with app.test_request_context():
        assert services.authenticate("nobody@example.com", "whatever-pass") is None
        assert services.authenticate("ada@example.com", "whatever-pass") is None
        # Too long for any hash to match: still a full check, not an instant "no".
        assert services.authenticate("ada@example.com", "x" * 80) is None
    # One check each, with the same work factor: every failure costs the same.
    assert checks == [b"$2b$04$"] * 3
