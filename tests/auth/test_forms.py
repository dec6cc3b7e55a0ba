"""Flask-WTF forms: CSRF protection and WTForms validators (Q033, Q061, Q093, Q097, Q130, Q160).

CSRF tests attack the real pages: no token, a wrong one, someone else's, an expired one.
Validator tests run the form classes directly, then through the pages.
"""

from __future__ import annotations

import time

import itsdangerous.timed
import pytest
from flask_wtf import FlaskForm
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from demo.auth import forms
from demo.auth.forms import LoginForm, ProfileForm, RegistrationForm
from demo.extensions import db
from demo.models import User
from tests.support.accounts import AuthActions

VALID = {
    "username": "ada",
    "email": "ada@example.com",
    "password": "correct-horse-battery",
    "confirm": "correct-horse-battery",
}


def user_count() -> int:
    """How many accounts exist."""
    return db.session.scalar(select(func.count(User.id)))


def registration_errors(app, **changes: str) -> dict[str, list[str]]:
    """Validate a RegistrationForm built from VALID plus `changes`, outside any view."""
    with app.test_request_context(method="POST"):
        form = RegistrationForm(formdata=MultiDict({**VALID, **changes}), meta={"csrf": False})
        form.validate()
        return form.errors


class FakeClock:
    """Stands in for the `time` module inside itsdangerous."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


# --- Flask-WTF is the forms extension (Q061, Q130) ------------------------------------------


@pytest.mark.answers("Q061", "Q130")
def test_flask_wtf_forms_read_the_request_and_add_a_csrf_field(app):
    """A FlaskForm fills itself from `request.form` and carries a `csrf_token` field."""
    assert all(issubclass(cls, FlaskForm) for cls in (RegistrationForm, LoginForm, ProfileForm))
    with app.test_request_context(method="POST", data={"email": " Ada@Example.COM "}):
        form = LoginForm()
        assert "csrf_token" in form
        assert form.email.data == "ada@example.com"  # read from request.form, then filtered
        assert form.is_submitted() and not form.validate_on_submit()
        assert form.errors["csrf_token"] == ["The CSRF token is missing."]
        assert form.errors["password"] == ["This field is required."]


@pytest.mark.answers("Q061", "Q160")
def test_the_rendered_form_has_the_token_and_html_constraints(new_client):
    """Fields render with labels, types and `required`; the token is a hidden input."""
    page = new_client().get("/auth/register").get_data(as_text=True)
    assert '<input id="csrf_token" name="csrf_token" type="hidden" value="' in page
    assert '<label for="email">E-mail</label>' in page
    assert 'type="email"' in page and 'autocomplete="new-password"' in page
    assert page.count("required") >= 4
    assert 'minlength="8"' in page and 'maxlength="64"' in page


# --- CSRF (Q093, Q097) -------------------------------------------------------------------


@pytest.mark.answers("Q093", "Q097")
def test_a_post_without_a_token_is_refused_with_a_400_page(new_client):
    """No token: a clear HTML error page, and nothing is created."""
    response = new_client().post("/auth/register", data=VALID)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "400 · Bad Request" in page
    assert "This form could not be accepted: The CSRF token is missing." in page
    assert user_count() == 0


@pytest.mark.answers("Q093", "Q097")
def test_a_post_with_a_wrong_token_is_refused(new_client):
    """A token that was not signed with our key, or was altered, is invalid."""
    browser = new_client()
    real = AuthActions(browser).csrf_token("/auth/register")
    for forged in ("not-a-token", real[:-2] + ("AA" if not real.endswith("AA") else "BB")):
        response = browser.post("/auth/register", data={**VALID, "csrf_token": forged})
        assert response.status_code == 400
        assert "The CSRF token is invalid." in response.get_data(as_text=True)
    assert user_count() == 0


@pytest.mark.answers("Q093", "Q097")
def test_a_token_from_another_browser_is_refused(new_client):
    """The token is tied to the session that asked for it: an attacker's own token is no use."""
    attacker, victim = new_client(), new_client()
    token = AuthActions(attacker).csrf_token("/auth/register")
    AuthActions(victim).csrf_token("/auth/register")  # the victim has a session of their own
    response = victim.post("/auth/register", data={**VALID, "csrf_token": token})
    assert response.status_code == 400
    assert "The CSRF tokens do not match." in response.get_data(as_text=True)


@pytest.mark.answers("Q093", "Q097")
def test_a_token_with_no_session_behind_it_is_refused(new_client):
    """A cross-site POST from a browser without our session cookie fails on the missing secret."""
    token = AuthActions(new_client()).csrf_token("/auth/register")
    response = new_client().post("/auth/register", data={**VALID, "csrf_token": token})
    assert response.status_code == 400
    assert "The CSRF session token is missing." in response.get_data(as_text=True)


@pytest.mark.answers("Q097")
def test_the_token_is_the_session_secret_signed_with_a_timestamp(app, new_client):
    """Synchronizer token: a random secret in the session, sent in the form signed and dated."""
    browser = new_client()
    token = AuthActions(browser).csrf_token("/auth/register")
    stored = app.session_interface.cache.get("session:" + browser.get_cookie("session").value)
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    assert signer.loads(token) == stored["csrf_token"]
    assert len(stored["csrf_token"]) == 40  # sha1 hex of 64 random bytes


@pytest.mark.answers("Q093", "Q097")
def test_a_token_older_than_the_time_limit_is_refused(app, new_client, monkeypatch):
    """WTF_CSRF_TIME_LIMIT (an hour by default) bounds how long a leaked token is any use."""
    clock = FakeClock()
    monkeypatch.setattr(itsdangerous.timed, "time", clock)
    browser = new_client()
    token = AuthActions(browser).csrf_token("/auth/register")
    clock.now += app.config.get("WTF_CSRF_TIME_LIMIT", 3600) + 1
    response = browser.post("/auth/register", data={**VALID, "csrf_token": token})
    assert response.status_code == 400
    assert "The CSRF token has expired." in response.get_data(as_text=True)


@pytest.mark.answers("Q093")
def test_logging_in_replaces_the_csrf_secret(new_client, make_user):
    """Tokens issued before a login are void after it (no token fixation across identities)."""
    make_user("ada")
    browser = new_client()
    auth = AuthActions(browser)
    before = auth.csrf_token()
    auth.login()
    response = browser.post("/auth/logout", data={"csrf_token": before})
    assert response.status_code == 400
    assert auth.logout().status_code == 303


@pytest.mark.answers("Q097")
def test_csrf_errors_are_json_for_api_clients(new_client):
    """The same refusal, in the JSON error shape, for a client that asks for JSON."""
    response = new_client().post(
        "/auth/logout", headers={"Accept": "application/json"}, data={"csrf_token": "x"}
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "errors": {
            "body": [
                "This form could not be accepted: The CSRF session token is missing. "
                "Reload the page and submit it again."
            ]
        }
    }


# --- Validators (Q160) -------------------------------------------------------------------


@pytest.mark.answers("Q160")
def test_a_valid_registration_passes_every_validator(app):
    """The baseline: the VALID data raises no error at all."""
    assert registration_errors(app) == {}


@pytest.mark.answers("Q160")
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "al"}, "username", "Field must be between 3 and 64 characters long."),
        ({"username": "ada lovelace"}, "username", "Use letters, digits, '.', '_' or '-' only."),
        ({"email": "not-an-address"}, "email", "Invalid email address."),
        (
            {"password": "short", "confirm": "short"},
            "password",
            "Use at least 8 characters.",
        ),
        (
            {"password": "é" * 37, "confirm": "é" * 37},
            "password",
            "Use at most 72 bytes (this is 74; accented letters and emoji count as 2-4 bytes "
            "each).",
        ),
        (
            {"username": "adalovelace", "password": "AdaLovelace", "confirm": "AdaLovelace"},
            "password",
            "Choose a password that is not your username or e-mail address.",
        ),
        (
            {"password": "ada@example.com", "confirm": "ada@example.com"},
            "password",
            "Choose a password that is not your username or e-mail address.",
        ),
        ({"confirm": "something-else"}, "confirm", "The passwords do not match."),
    ],
    ids=[
        "username-short",
        "username-charset",
        "email",
        "password-short",
        "password-bytes",
        "password-is-username",
        "password-is-email",
        "confirm",
    ],
)
def test_each_rule_has_its_own_message(app, changes, field, message):
    """Built-in and custom validators report on the field they concern."""
    assert registration_errors(app, **changes)[field] == [message]


@pytest.mark.answers("Q160")
def test_72_bytes_of_accented_letters_are_accepted(app):
    """The byte limit is exact: 36 two-byte letters are fine."""
    password = "é" * 36
    assert registration_errors(app, password=password, confirm=password) == {}


@pytest.mark.answers("Q160")
def test_username_and_email_must_be_unique_ignoring_email_case(app, make_user):
    """The inline ``validate_<field>`` methods look the values up in the database."""
    make_user("ada", email="ada@example.com")
    errors = registration_errors(app, username="ada", email="ADA@Example.com")
    assert errors == {
        "username": ["That username is taken."],
        "email": ["An account with this e-mail address already exists."],
    }


@pytest.mark.answers("Q160")
def test_a_lost_uniqueness_race_is_a_form_error_not_a_500(new_client, make_user, monkeypatch):
    """If another request takes the name after the check, the unique constraint still refuses
    it, and the page says so on the field."""
    make_user("ada", email="first@example.com")
    monkeypatch.setattr(forms, "is_taken", lambda *args, **kwargs: False)  # the check "passes"
    response = AuthActions(new_client()).register("ada", email="second@example.com")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<ul class="field-errors" id="username-errors">' in page
    assert "That username is taken." in page
    assert user_count() == 1


# --- Errors in the page (Q033, Q160) -----------------------------------------------------


@pytest.mark.answers("Q033", "Q160")
def test_errors_are_rendered_next_to_their_fields(new_client):
    """422, each message in a list the input points at with aria-describedby."""
    response = AuthActions(new_client()).register(
        "ada", email="not-an-address", password="short", confirm="other"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("email", "password", "confirm"):
        assert f'aria-describedby="{field}-errors"' in page
        assert f'<ul class="field-errors" id="{field}-errors">' in page
    assert 'aria-describedby="username-errors"' not in page  # the valid field has none
    assert 'aria-invalid="true"' in page


@pytest.mark.answers("Q033", "Q160")
def test_a_refused_form_keeps_what_was_typed_except_passwords(new_client):
    """Text inputs are re-filled (escaped); password inputs are always rendered empty."""
    response = AuthActions(new_client()).register(
        "<b>ada</b>", email="ada@example.com", password="typed-secret", confirm="different"
    )
    page = response.get_data(as_text=True)
    assert 'value="&lt;b&gt;ada&lt;/b&gt;"' in page and "<b>ada</b>" not in page
    assert 'value="ada@example.com"' in page
    assert "typed-secret" not in page
