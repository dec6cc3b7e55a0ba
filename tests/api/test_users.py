"""Registration, login, the current user and its updates: /api/users[/login], /api/user."""

from __future__ import annotations

import jwt as pyjwt
import pytest
from sqlalchemy import select

from demo.api import services
from demo.models import User
from tests.api.support import PASSWORD, errors_of, new_user_body

USER_KEYS = {"email", "token", "username", "bio", "image"}


@pytest.mark.answers("Q081", "Q086")
def test_registration_answers_201_with_the_user_and_a_working_token(client):
    """POST /api/users: 201, the spec's five keys, and the token opens GET /api/user."""
    response = client.post("/api/users", json=new_user_body("Jacob", email="Jake@Jake.jake"))
    assert response.status_code == 201
    user = response.get_json()["user"]
    assert set(user) == USER_KEYS
    assert user["username"] == "Jacob"
    assert user["email"] == "jake@jake.jake"  # one spelling per address
    assert user["bio"] is None and user["image"] is None
    me = client.get("/api/user", headers={"Authorization": f"Token {user['token']}"})
    assert me.status_code == 200
    assert me.get_json()["user"]["username"] == "Jacob"


def test_registration_stores_a_bcrypt_hash_and_grants_the_default_role(client, db):
    """Only the hash reaches the database, and the account is a viewer, as on the sign-up page."""
    client.post("/api/users", json=new_user_body("jake"))
    user = db.session.scalar(select(User).where(User.username == "jake"))
    assert user.password_hash.startswith("$2b$") and PASSWORD not in user.password_hash
    assert [role.name for role in user.roles] == ["viewer"]


@pytest.mark.answers("Q149")
def test_registration_without_fields_names_each_missing_one(client):
    """422 with "can't be blank" for username, email and password, and a `body` summary."""
    response = client.post("/api/users", json={"user": {}})
    assert response.status_code == 422
    errors = errors_of(response)
    for field in ("username", "email", "password"):
        assert errors[field] == ["can't be blank"]
        assert f"{field} can't be blank" in errors["body"]


@pytest.mark.answers("Q149")
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "is invalid"),
        ({"username": "   "}, "username", "can't be blank"),
        ({"username": "a/b"}, "username", "can only contain letters, digits, '.', '_' and '-'"),
        ({"username": 42}, "username", "must be a string"),
        ({"password": "short"}, "password", "is too short (minimum is 8 characters)"),
        ({"password": ""}, "password", "can't be blank"),
        ({"password": "é" * 37}, "password", "is too long (maximum is 72 bytes)"),
        ({"email": None}, "email", "can't be blank"),
    ],
)
def test_registration_refuses_invalid_fields_with_a_message_per_field(
    client, fields, field, message
):
    """Each invalid value is a 422 naming its field, in Conduit's wording."""
    response = client.post("/api/users", json=new_user_body("jake", **fields))
    assert response.status_code == 422
    errors = errors_of(response)
    assert errors[field] == [message]
    assert errors["body"] == [f"{field} {message}"]


def test_registration_without_the_user_envelope_is_422(client):
    """The body must be ``{"user": {...}}``; fields at the top level are not read."""
    response = client.post("/api/users", json=new_user_body("jake")["user"])
    assert response.status_code == 422
    assert errors_of(response)["user"] == ["can't be blank"]


@pytest.mark.answers("Q149")
def test_taken_email_and_username_are_422_has_already_been_taken(client, api_user):
    """Both conflicts are reported at once, the e-mail compared case-insensitively."""
    body = new_user_body("jake", email="JAKE@example.com")
    response = client.post("/api/users", json=body)
    assert response.status_code == 422
    errors = errors_of(response)
    assert errors["email"] == ["has already been taken"]
    assert errors["username"] == ["has already been taken"]
    assert "email has already been taken" in errors["body"]


def test_a_registration_that_loses_a_race_is_422_not_500(client, api_user, monkeypatch):
    """If another request takes the e-mail between the check and the commit, the unique index
    refuses the INSERT and the client still gets the 422 naming the field."""
    monkeypatch.setattr(services, "is_taken", lambda *args: False)  # the check saw nothing
    response = client.post("/api/users", json=new_user_body("jacob", email=api_user.email))
    assert response.status_code == 422
    assert errors_of(response)["email"] == ["has already been taken"]


@pytest.mark.answers("Q081")
def test_login_answers_200_with_the_user_and_a_token(client, api_user):
    """POST /api/users/login with the right password: 200 and a token that works."""
    body = {"user": {"email": "JAKE@example.com", "password": api_user.password}}
    response = client.post("/api/users/login", json=body)
    assert response.status_code == 200
    user = response.get_json()["user"]
    assert set(user) == USER_KEYS and user["username"] == "jake"
    assert (
        client.get("/api/user", headers={"Authorization": f"Token {user['token']}"}).status_code
        == 200
    )


def test_wrong_password_and_unknown_email_get_the_same_401(client, api_user):
    """No hint which part was wrong: identical 401 bodies, with a WWW-Authenticate challenge."""
    wrong = client.post(
        "/api/users/login", json={"user": {"email": api_user.email, "password": "wrong-pass"}}
    )
    unknown = client.post(
        "/api/users/login", json={"user": {"email": "who@example.com", "password": "wrong-pass"}}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert errors_of(wrong) == {
        "body": ["email or password is invalid"],
        # The reference implementation's key, and the key the RealWorld test suites read.
        "email or password": ["is invalid"],
        "credentials": ["invalid"],
    }
    assert wrong.headers["WWW-Authenticate"].startswith("Token ")


def test_login_without_credentials_is_422(client):
    """Missing e-mail and password are validation errors, not failed logins."""
    response = client.post("/api/users/login", json={"user": {"email": ""}})
    assert response.status_code == 422
    errors = errors_of(response)
    assert errors["email"] == ["can't be blank"]
    assert errors["password"] == ["can't be blank"]


@pytest.mark.answers("Q085")
@pytest.mark.parametrize(
    "header",
    [None, "Token", "Token not.a.jwt", "Basic amFrZTpqYWtl", "Bearer "],
    ids=["none", "no-credentials", "garbage", "basic", "empty-bearer"],
)
def test_current_user_needs_a_valid_token(client, api_user, header):
    """GET /api/user without a valid token: 401, saying whether the token is missing or bad."""
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/user", headers=headers)
    assert response.status_code == 401
    errors = errors_of(response)
    assert errors["body"]
    missing = header in (None, "Token", "Basic amFrZTpqYWtl")
    assert errors["token"] == ["is missing" if missing else "is invalid"]


@pytest.mark.answers("Q085")
def test_bearer_is_accepted_as_well_as_the_conduit_token_scheme(client, api_user):
    """`Authorization: Bearer <jwt>` (the RFC 6750 spelling) works like `Token <jwt>`."""
    for scheme in ("Token", "Bearer", "token"):
        response = client.get("/api/user", headers={"Authorization": f"{scheme} {api_user.token}"})
        assert response.status_code == 200, scheme


@pytest.mark.answers("Q085")
def test_a_token_signed_with_another_key_is_refused(client, api_user):
    """A well-formed token for the same user, signed with another secret: 401."""
    claims = {"sub": "1", "type": "access", "fresh": False, "jti": "forged", "exp": 2**31}
    forged = pyjwt.encode(claims, "not-our-secret-but-just-as-long-0123456789", "HS256")
    response = client.get("/api/user", headers={"Authorization": f"Token {forged}"})
    assert response.status_code == 401
    assert errors_of(response)["token"] == ["is invalid"]


def test_update_changes_the_given_fields_only(client, api_user):
    """PUT /api/user: 200 with the new bio and image; the rest is unchanged."""
    body = {"user": {"bio": "I like to skateboard", "image": "https://example.com/jake.jpg"}}
    response = client.put("/api/user", json=body, headers=api_user.headers)
    assert response.status_code == 200
    user = response.get_json()["user"]
    assert user["bio"] == "I like to skateboard"
    assert user["image"] == "https://example.com/jake.jpg"
    assert (user["username"], user["email"]) == (api_user.username, api_user.email)


def test_update_with_ones_own_unchanged_email_and_username_is_allowed(client, api_user):
    """Sending back your own e-mail (any case) and username is not a conflict."""
    body = {"user": {"email": api_user.email.upper(), "username": api_user.username, "bio": "x"}}
    response = client.put("/api/user", json=body, headers=api_user.headers)
    assert response.status_code == 200
    assert response.get_json()["user"]["email"] == api_user.email


@pytest.mark.parametrize("field", ["email", "username"])
def test_update_to_another_users_email_or_username_is_422(client, api_user, other_user, field):
    """Taking someone else's e-mail or username: 422 "has already been taken"."""
    body = {"user": {field: getattr(other_user, field)}}
    response = client.put("/api/user", json=body, headers=api_user.headers)
    assert response.status_code == 422
    assert errors_of(response)[field] == ["has already been taken"]


def test_an_update_that_loses_a_race_is_422_not_500(client, api_user, other_user, monkeypatch):
    """The unique index catches what the check missed; the answer names the field."""
    real_check = services.is_taken
    calls = []

    def stale_first_check(*args):
        calls.append(args)
        return False if len(calls) == 1 else real_check(*args)

    monkeypatch.setattr(services, "is_taken", stale_first_check)
    body = {"user": {"username": other_user.username}}
    response = client.put("/api/user", json=body, headers=api_user.headers)
    assert response.status_code == 422
    assert errors_of(response)["username"] == ["has already been taken"]
    assert (
        client.get("/api/user", headers=api_user.headers).get_json()["user"]["username"] == "jake"
    )


def test_update_with_no_fields_is_422(client, api_user):
    """The spec asks for at least one field; an empty object is refused."""
    response = client.put("/api/user", json={"user": {}}, headers=api_user.headers)
    assert response.status_code == 422
    assert errors_of(response)["user"] == ["must contain at least one field"]


def test_update_clears_bio_and_image_with_null_or_empty(client, api_user):
    """null or "" for bio and image stores nothing; a non-http image URL is refused."""
    headers = api_user.headers
    client.put(
        "/api/user", json={"user": {"bio": "hi", "image": "http://x.test/a.png"}}, headers=headers
    )
    cleared = client.put("/api/user", json={"user": {"bio": "", "image": None}}, headers=headers)
    assert cleared.get_json()["user"]["bio"] is None
    assert cleared.get_json()["user"]["image"] is None
    bad = client.put("/api/user", json={"user": {"image": "javascript:alert(1)"}}, headers=headers)
    assert bad.status_code == 422
    assert errors_of(bad)["image"] == ["must be an http(s) URL"]


@pytest.mark.answers("Q085")
def test_password_change_ends_old_tokens_and_the_new_password_logs_in(client, api_user):
    """A new password bumps the session version: the old token is refused, the new one works."""
    response = client.put(
        "/api/user", json={"user": {"password": "a-brand-new-password"}}, headers=api_user.headers
    )
    assert response.status_code == 200
    new_token = response.get_json()["user"]["token"]
    assert client.get("/api/user", headers=api_user.headers).status_code == 401
    assert (
        client.get("/api/user", headers={"Authorization": f"Token {new_token}"}).status_code == 200
    )
    login = {"user": {"email": api_user.email, "password": "a-brand-new-password"}}
    assert client.post("/api/users/login", json=login).status_code == 200
    old = {"user": {"email": api_user.email, "password": api_user.password}}
    assert client.post("/api/users/login", json=old).status_code == 401


def test_update_needs_a_token(client):
    """PUT /api/user without a token: 401."""
    assert client.put("/api/user", json={"user": {"bio": "x"}}).status_code == 401


@pytest.mark.answers("Q149")
def test_profile_text_with_a_nul_character_is_422_not_500(client, api_user):
    """U+0000 in a bio is refused by the schema rather than by PostgreSQL (a 500)."""
    response = client.put("/api/user", json={"user": {"bio": "a\x00b"}}, headers=api_user.headers)
    assert response.status_code == 422
    assert errors_of(response)["bio"] == ["must not contain NUL characters"]


@pytest.mark.answers("Q074")
def test_a_deleted_users_token_never_signs_in_the_next_user(client, db, register):
    """Ids are never reused (SQLite too): the newest user's token dies with their account."""
    jake = register("jake")
    jake_row = db.session.scalar(select(User).filter_by(username="jake"))
    jake_id = jake_row.id
    db.session.delete(jake_row)
    db.session.commit()
    register("mallory")
    mallory_id = db.session.scalar(select(User.id).filter_by(username="mallory"))
    assert mallory_id > jake_id
    response = client.get("/api/user", headers=jake.headers)
    assert response.status_code == 401
    assert errors_of(response)["token"] == ["is invalid"]
