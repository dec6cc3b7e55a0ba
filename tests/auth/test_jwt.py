"""JWT with Flask-JWT-Extended: issuing, using, refreshing, expiring, forging and revoking."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import decode_token

from demo.extensions import db
from tests.auth.token_support import PASSWORD, bearer, built_app, create_user, get_tokens


class ShiftableClock:
    """Moves the clock PyJWT checks `exp` against, without touching the real one."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.stopped_at: datetime | None = None

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def stand_at(self, moment: datetime) -> None:
        """Stop the clock at `moment`: a boundary test must not depend on how long the test ran."""
        self.stopped_at, self.offset = moment, timedelta(0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShiftableClock]:
    """Patch the `datetime` PyJWT's decoder reads, so a test can jump into the future."""
    shiftable = ShiftableClock()
    real_datetime = datetime

    class SameInstances(type):
        # PyJWT's encoder asks isinstance(value, datetime) of the claims it is given.
        def __instancecheck__(cls, instance):
            return isinstance(instance, real_datetime)

    class ShiftedDatetime(real_datetime, metaclass=SameInstances):
        @classmethod
        def now(cls, tz=None):
            if shiftable.stopped_at is not None:
                return shiftable.stopped_at.astimezone(tz) + shiftable.offset
            return real_datetime.now(tz) + shiftable.offset

    monkeypatch.setattr(pyjwt.api_jwt, "datetime", ShiftedDatetime)
    yield shiftable


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64decode(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _b64encode(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _assert_refused(response, message_part: str) -> None:
    assert response.status_code == 401
    assert response.is_json
    assert message_part in response.get_json()["errors"]["body"][0]
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="flaskproof"')


# --- Issuing tokens -------------------------------------------------------------------------


@pytest.mark.answers("Q048", "Q144")
def test_login_returns_access_and_refresh_tokens_with_roles_as_claims(app, client):
    """POST /api/auth/token answers both tokens; the access token carries sub, roles, version."""
    user = create_user("ada", "editor", "viewer")
    answer = get_tokens(client, user)

    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 15 * 60
    access = decode_token(answer["access_token"])
    refresh = decode_token(answer["refresh_token"])
    assert access["type"] == "access" and refresh["type"] == "refresh"
    assert access["sub"] == str(user.id)  # a string: PyJWT refuses any other `sub`
    assert access["roles"] == ["editor", "viewer"]
    assert access["session_version"] == 1
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 30 * 24 * 3600
    # The access token knows its refresh token, so logout can revoke both.
    assert access["refresh_jti"] == refresh["jti"]
    assert _segments(answer["access_token"])[0] == _b64encode({"alg": "HS256", "typ": "JWT"})


@pytest.mark.answers("Q048")
def test_wrong_password_and_unknown_email_get_the_same_401(app, client):
    """A wrong password and an unknown address are indistinguishable: same status, same body."""
    create_user("ada")
    wrong_password = client.post(
        "/api/auth/token", json={"email": "ada@example.com", "password": "not it"}
    )
    unknown_email = client.post(
        "/api/auth/token", json={"email": "nobody@example.com", "password": PASSWORD}
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.get_json() == unknown_email.get_json()
    assert wrong_password.get_json() == {
        "errors": {"body": ["Invalid email or password."], "credentials": ["invalid"]}
    }


@pytest.mark.answers("Q048")
def test_token_request_without_credentials_is_a_422_naming_the_fields(app, client):
    """Missing fields are named in the error; a non-JSON body is refused, not parsed as a form."""
    missing = client.post("/api/auth/token", json={"email": "ada@example.com"})
    assert missing.status_code == 422
    assert missing.get_json()["errors"]["password"] == ["can't be blank"]

    form = client.post("/api/auth/token", data={"email": "a@example.com", "password": "x"})
    assert form.status_code == 422
    assert "Send JSON" in form.get_json()["errors"]["body"][0]


@pytest.mark.answers("Q048")
def test_token_login_limits_failed_guesses_per_address_and_account(database_server):
    """Failed guesses at one account from one address hit a 429 with Retry-After; successful
    logins are not counted, and the owner at another address is not locked out."""
    limits = {"AUTH_RATE_LIMIT_PER_ACCOUNT": "2/minute", "AUTH_RATE_LIMIT_PER_ADDRESS": "50/minute"}
    with built_app(**limits) as app:
        ada = create_user("ada")
        client = app.test_client()
        wrong = {"email": "ada@example.com", "password": "guess"}
        successes = [get_tokens(client, ada) for _ in range(3)]
        guesses = [client.post("/api/auth/token", json=wrong).status_code for _ in range(2)]
        # The limit is shared with the cookie login and ignores the case of the address.
        limited = client.post("/api/auth/cookie-login", json={**wrong, "email": "ADA@example.com"})
        owner_elsewhere = client.post(
            "/api/auth/token",
            json={"email": "ada@example.com", "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )

    assert len(successes) == 3
    assert guesses == [401, 401]
    assert limited.status_code == 429
    assert limited.is_json
    assert "Too many login attempts" in limited.get_json()["errors"]["body"][0]
    assert int(limited.headers["Retry-After"]) > 0
    assert owner_elsewhere.status_code == 200


@pytest.mark.answers("Q048")
def test_token_login_limits_each_address(database_server):
    """One address trying many accounts is stopped by the per-address limit."""
    limits = {"AUTH_RATE_LIMIT_PER_ACCOUNT": "50/minute", "AUTH_RATE_LIMIT_PER_ADDRESS": "3/minute"}
    with built_app(**limits) as app:
        client = app.test_client()
        statuses = [
            client.post(
                "/api/auth/token", json={"email": f"user{n}@example.com", "password": "x"}
            ).status_code
            for n in range(4)
        ]
        other_address = client.post(
            "/api/auth/token",
            json={"email": "user9@example.com", "password": "x"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )

    assert statuses == [401, 401, 401, 429]
    assert other_address.status_code == 401


# --- Using tokens ---------------------------------------------------------------------------


@pytest.mark.answers("Q048", "Q098", "Q144")
def test_me_accepts_bearer_and_the_conduit_token_scheme(app, client):
    """`Authorization: Bearer <jwt>` and Conduit's `Authorization: Token <jwt>` both work."""
    user = create_user("ada", "viewer")
    access = get_tokens(client, user)["access_token"]

    for scheme in ("Bearer", "Token"):
        response = client.get("/api/auth/me", headers=bearer(access, scheme))
        assert response.status_code == 200, scheme
        assert response.get_json()["user"]["username"] == "ada"
        assert response.get_json()["auth"]["method"] == "jwt"


@pytest.mark.answers("Q144")
def test_missing_token_is_a_401_with_a_challenge(app, client):
    """No credentials: 401 JSON, and a WWW-Authenticate challenge without an error code."""
    response = client.get("/api/auth/me")
    _assert_refused(response, "Authentication required")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="flaskproof"'


@pytest.mark.answers("Q144")
def test_refresh_token_is_not_an_access_token_and_vice_versa(app, client):
    """Each token type only opens its own door: mixing them up is a 401, not a 422."""
    tokens = get_tokens(client, create_user("ada"))

    _assert_refused(
        client.get("/api/auth/me", headers=bearer(tokens["refresh_token"])), "Invalid token"
    )
    _assert_refused(
        client.post("/api/auth/refresh", headers=bearer(tokens["access_token"])), "Invalid token"
    )


@pytest.mark.answers("Q048", "Q144")
def test_refresh_issues_a_new_access_token_linked_to_the_same_refresh_token(app, client):
    """POST /api/auth/refresh with the refresh token answers a new, working access token."""
    user = create_user("ada", "viewer")
    tokens = get_tokens(client, user)

    response = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))

    assert response.status_code == 200
    new_access = response.get_json()["access_token"]
    assert new_access != tokens["access_token"]
    assert "refresh_token" not in response.get_json()
    assert decode_token(new_access)["refresh_jti"] == decode_token(tokens["refresh_token"])["jti"]
    assert client.get("/api/auth/me", headers=bearer(new_access)).status_code == 200


@pytest.mark.answers("Q144")
def test_a_role_change_reaches_tokens_at_the_next_refresh(app, client):
    """Roles are read into the token when it is made: a promotion shows up after a refresh."""
    user = create_user("ada", "viewer")
    tokens = get_tokens(client, user)
    create_user("root", "admin")  # makes sure the admin role row exists
    from demo.models import Role

    user.roles.append(db.session.scalar(db.select(Role).where(Role.name == "admin")))
    db.session.commit()

    old = client.get("/api/auth/me", headers=bearer(tokens["access_token"])).get_json()
    new_access = client.post(
        "/api/auth/refresh", headers=bearer(tokens["refresh_token"])
    ).get_json()["access_token"]
    new = client.get("/api/auth/me", headers=bearer(new_access)).get_json()

    assert old["auth"]["roles"] == ["viewer"]
    assert new["auth"]["roles"] == ["admin", "viewer"]


# --- Expiry, forgery --------------------------------------------------------------------------


@pytest.mark.answers("Q048", "Q144")
def test_access_token_expires_after_fifteen_minutes(app, client, clock):
    """Moving the clock: valid at 14:59, refused at 15:01 with a message that says what to do."""
    access = get_tokens(client, create_user("ada"))["access_token"]
    # Counted from the token's own whole-second `iat`, not from "now": a test that took a
    # second to get here must not see the token expire early.
    clock.stand_at(datetime.fromtimestamp(decode_token(access)["iat"], UTC))

    clock.advance(minutes=14, seconds=59)
    assert client.get("/api/auth/me", headers=bearer(access)).status_code == 200

    clock.advance(seconds=2)
    response = client.get("/api/auth/me", headers=bearer(access))
    _assert_refused(response, "The access token has expired")
    assert "/api/auth/refresh" in response.get_json()["errors"]["body"][0]
    assert response.get_json()["errors"]["token"] == ["has expired"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.answers("Q144")
def test_refresh_token_expires_after_thirty_days(app, client, clock):
    """After 30 days even the refresh token is refused, and the client is told to log in."""
    refresh = get_tokens(client, create_user("ada"))["refresh_token"]

    clock.advance(days=29, hours=23)
    assert client.post("/api/auth/refresh", headers=bearer(refresh)).status_code == 200
    clock.advance(hours=2)
    _assert_refused(
        client.post("/api/auth/refresh", headers=bearer(refresh)),
        "The refresh token has expired: log in again",
    )


@pytest.mark.answers("Q144")
def test_token_lifetimes_come_from_the_environment(monkeypatch, database_server):
    """JWT_ACCESS_TOKEN_SECONDS and JWT_REFRESH_TOKEN_SECONDS set the lifetimes."""
    monkeypatch.setenv("JWT_ACCESS_TOKEN_SECONDS", "60")
    monkeypatch.setenv("JWT_REFRESH_TOKEN_SECONDS", "3600")
    with built_app() as app:
        answer = get_tokens(app.test_client(), create_user("ada"))
        access = decode_token(answer["access_token"])
        refresh = decode_token(answer["refresh_token"])

    assert answer["expires_in"] == 60
    assert access["exp"] - access["iat"] == 60
    assert refresh["exp"] - refresh["iat"] == 3600


@pytest.mark.answers("Q144")
def test_tampered_token_is_refused(app, client):
    """Granting yourself the admin role by editing the payload breaks the signature: 401."""
    access = get_tokens(client, create_user("ada", "viewer"))["access_token"]
    header, payload, signature = _segments(access)
    claims = _b64decode(payload)
    claims["roles"] = ["admin"]
    forged = ".".join([header, _b64encode(claims), signature])

    _assert_refused(client.get("/api/auth/editor-desk", headers=bearer(forged)), "Invalid token")
    _assert_refused(
        client.get("/api/auth/me", headers=bearer(forged)), "Signature verification failed"
    )


@pytest.mark.answers("Q144")
def test_unsigned_alg_none_token_is_refused(app, client):
    """A token with `alg: none` and no signature is refused: only HS256 is accepted."""
    access = get_tokens(client, create_user("ada", "viewer"))["access_token"]
    claims = {**decode_token(access), "roles": ["admin"]}
    unsigned = pyjwt.encode(claims, key=None, algorithm="none")
    assert unsigned.endswith(".")  # really no signature

    response = client.get("/api/auth/editor-desk", headers=bearer(unsigned))
    _assert_refused(response, "Invalid token")
    assert "alg" in response.get_json()["errors"]["body"][0]


@pytest.mark.answers("Q144")
def test_token_signed_with_another_secret_is_refused(app, client):
    """A well-formed HS256 token signed with someone else's secret is refused."""
    access = get_tokens(client, create_user("ada", "viewer"))["access_token"]
    claims = {**decode_token(access), "roles": ["admin"]}
    foreign = pyjwt.encode(claims, key="x" * 64, algorithm="HS256")

    _assert_refused(client.get("/api/auth/me", headers=bearer(foreign)), "Invalid token")


@pytest.mark.answers("Q144")
def test_garbage_and_malformed_headers_are_a_401(app, client):
    """Not-a-JWT and a header with extra parts are 401s (Flask-JWT-Extended's default is 422)."""
    _assert_refused(client.get("/api/auth/me", headers=bearer("not.a.jwt")), "Invalid token")
    _assert_refused(
        client.get("/api/auth/me", headers={"Authorization": "Bearer a b"}), "Invalid token"
    )


# --- Revocation -------------------------------------------------------------------------------


@pytest.mark.answers("Q048", "Q144")
def test_logout_revokes_the_access_token_and_its_refresh_token(app, client):
    """After POST /api/auth/logout neither token works, and the answer says it was revoked."""
    tokens = get_tokens(client, create_user("ada"))

    logout = client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))

    assert logout.status_code == 204
    _assert_refused(
        client.get("/api/auth/me", headers=bearer(tokens["access_token"])), "has been revoked"
    )
    _assert_refused(
        client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])),
        "has been revoked",
    )


@pytest.mark.answers("Q144")
def test_logout_also_ends_other_access_tokens_from_the_same_login(app, client):
    """An access token minted by the same refresh token dies with it; another login lives on."""
    user = create_user("ada")
    first = get_tokens(client, user)
    other_login = get_tokens(client, user)
    refreshed = client.post("/api/auth/refresh", headers=bearer(first["refresh_token"])).get_json()[
        "access_token"
    ]

    assert client.post("/api/auth/logout", headers=bearer(first["access_token"])).status_code == 204

    _assert_refused(client.get("/api/auth/me", headers=bearer(refreshed)), "has been revoked")
    assert (
        client.get("/api/auth/me", headers=bearer(other_login["access_token"])).status_code == 200
    )


@pytest.mark.answers("Q144")
def test_logging_out_everywhere_ends_every_token(app, client):
    """Bumping the user's session_version refuses all earlier access and refresh tokens."""
    user = create_user("ada")
    tokens = get_tokens(client, user)

    user.session_version += 1
    db.session.commit()

    _assert_refused(
        client.get("/api/auth/me", headers=bearer(tokens["access_token"])), "no longer valid"
    )
    _assert_refused(
        client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])),
        "no longer valid",
    )
    fresh = get_tokens(client, user)["access_token"]
    assert client.get("/api/auth/me", headers=bearer(fresh)).status_code == 200


@pytest.mark.answers("Q144")
def test_token_of_a_deleted_user_is_refused(app, client):
    """A valid signature is not enough: the user must still exist."""
    user = create_user("ada")
    access = get_tokens(client, user)["access_token"]
    db.session.delete(user)
    db.session.commit()

    _assert_refused(client.get("/api/auth/me", headers=bearer(access)), "no longer valid")
