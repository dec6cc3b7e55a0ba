"""The account pages end to end: register, profile, password (Q033, Q067, Q143, Q160).

Every submission goes through the real page with the CSRF token read from its HTML.
"""

from __future__ import annotations

import importlib.util

import pytest
from flask_session.cachelib import CacheLibSessionInterface
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from demo.auth.passwords import hash_password, hash_rounds, verify_password
from demo.extensions import db, limiter
from demo.models import User
from tests.support.accounts import AuthActions, csrf_token_in


def profile_post(browser, **fields: str):
    """Submit the profile form with the current values changed by `fields`."""
    page = browser.get("/auth/profile").get_data(as_text=True)
    current = {"username": "ada", "email": "ada@example.com", "bio": "", "image": ""}
    data = {**current, **fields, "csrf_token": csrf_token_in(page)}
    return browser.post("/auth/profile", data=data)


def password_post(browser, current: str, new: str, confirm: str | None = None):
    """Submit the change-password form (its fields carry the ``password-`` prefix)."""
    page = browser.get("/auth/profile").get_data(as_text=True)
    return browser.post(
        "/auth/password",
        data={
            "password-csrf_token": csrf_token_in(page),
            "password-current_password": current,
            "password-new_password": new,
            "password-confirm": new if confirm is None else confirm,
        },
    )


@pytest.fixture
def ada(new_client, make_user):
    """A browser logged in as ada."""
    make_user("ada")
    browser = new_client()
    assert AuthActions(browser).login().status_code == 303
    return browser


# --- Registration -------------------------------------------------------------------------


@pytest.mark.answers("Q033", "Q143", "Q067", "Q135")
def test_registering_creates_a_viewer_and_logs_them_in(new_client):
    """Post, redirect (303), get: the new account is logged in and greeted by a flash."""
    browser = new_client()
    response = AuthActions(browser).register("ada", email=" Ada@Example.COM ")
    assert (response.status_code, response.location) == (303, "/auth/profile")

    page = browser.get("/auth/profile").get_data(as_text=True)
    assert "Welcome, ada! Your account is ready." in page
    assert '<span class="nav-user">ada</span>' in page
    user = db.session.scalar(select(User).where(User.username == "ada"))
    assert user.email == "ada@example.com"  # the form's filter normalised it
    assert [role.name for role in user.roles] == ["viewer"]
    assert hash_rounds(user.password_hash) == 4
    assert verify_password("correct-horse-battery", user.password_hash)


@pytest.mark.answers("Q033")
def test_the_register_page_sends_logged_in_users_to_their_profile(ada):
    """There is nothing to register when already logged in."""
    response = ada.get("/auth/register")
    assert (response.status_code, response.location) == (302, "/auth/profile")


# --- Profile ------------------------------------------------------------------------------


@pytest.mark.answers("Q033", "Q160")
def test_the_profile_form_is_prefilled_and_saves_changes(ada):
    """`ProfileForm(obj=current_user)` fills the fields; keeping one's own e-mail is fine."""
    page = ada.get("/auth/profile").get_data(as_text=True)
    assert 'name="username" required type="text" value="ada"' in page
    assert 'value="ada@example.com"' in page

    response = profile_post(
        ada, username="ada.l", bio="  Analyst.  ", image="https://img.example/ada.png"
    )

    assert (response.status_code, response.location) == (303, "/auth/profile")
    page = ada.get("/auth/profile").get_data(as_text=True)
    assert "Your profile has been saved." in page
    assert '<img class="avatar" src="https://img.example/ada.png"' in page
    db.session.expire_all()
    user = db.session.scalar(select(User))
    assert (user.username, user.email, user.bio) == ("ada.l", "ada@example.com", "Analyst.")


@pytest.mark.answers("Q160")
def test_the_profile_refuses_another_user_s_username_and_email(ada, make_user):
    """Unique, except for the user's own values: someone else's are refused on the fields."""
    make_user("grace")
    response = profile_post(ada, username="grace", email="GRACE@example.com")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "That username is taken." in page
    assert "An account with this e-mail address already exists." in page
    db.session.expire_all()
    assert db.session.scalar(select(User.username).where(User.email == "ada@example.com")) == "ada"


@pytest.mark.answers("Q160")
@pytest.mark.parametrize(
    "image",
    ["javascript:alert(document.cookie)", "http://img.example/ada.png", "https://", "ada.png"],
)
def test_the_picture_must_be_an_https_url(ada, image):
    """A custom validator: nothing but a full https:// URL becomes an <img src>."""
    response = profile_post(ada, image=image)
    assert response.status_code == 422
    assert "Enter a full https:// address." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(User.image)) is None


# --- Password --------------------------------------------------------------------------------


@pytest.mark.answers("Q160")
def test_changing_the_password_needs_the_current_one(ada):
    """A session alone is not enough to change the password; nothing changes on refusal."""
    response = password_post(ada, "a-wrong-guess", "a-brand-new-secret")
    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.scalar(select(User))
    assert user.session_version == 1
    assert verify_password("correct-horse-battery", user.password_hash)


@pytest.mark.answers("Q160")
@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("correct-horse-battery", "The new password must differ from the current one."),
        ("ADA@example.com", "Choose a password that is not your username or e-mail address."),
        ("short", "Use at least 8 characters."),
    ],
    ids=["same-as-current", "same-as-email", "too-short"],
)
def test_the_new_password_follows_the_rules(ada, new, message):
    """The rules of registration apply again, plus "not the current one"."""
    response = password_post(ada, "correct-horse-battery", new)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


@pytest.mark.answers("Q143", "Q067", "Q135")
def test_a_password_change_keeps_this_browser_logged_in(ada):
    """The session is re-issued with the new version, so the user who changed it stays in."""
    response = password_post(ada, "correct-horse-battery", "a-brand-new-secret")
    assert (response.status_code, response.location) == (303, "/auth/profile")
    page = ada.get("/auth/profile").get_data(as_text=True)
    assert "Password changed. Every other session has been logged out." in page
    db.session.expire_all()
    assert db.session.scalar(select(User.session_version)) == 2


# --- What Flask-Security would bundle (Q067, Q135) ----------------------------------------


@pytest.mark.answers("Q067", "Q135")
def test_flask_security_s_features_come_from_small_extensions(app):
    """No Flask-Security here: sessions, CSRF, hashing, throttling are separate, visible parts."""
    assert importlib.util.find_spec("flask_security") is None
    assert app.login_manager.login_view == "auth.login"  # Flask-Login: who is logged in
    assert isinstance(app.extensions["csrf"], CSRFProtect)  # Flask-WTF: forms and CSRF
    assert limiter in app.extensions["limiter"]  # Flask-Limiter: password guessing
    assert isinstance(app.session_interface, CacheLibSessionInterface)  # Flask-Session
    assert hash_password("any password").startswith("$2b$")  # bcrypt, directly
    assert {"auth.register", "auth.login", "auth.logout", "auth.change_password"} <= set(
        app.view_functions
    )
