"""Log in with OAuth 2 / OpenID Connect against a real provider on loopback (Q127).

`tests/auth/oauth_provider.py` serves an Authlib authorization server on 127.0.0.1 for the
whole module. Each login runs the full redirect dance: the test client asks the app for the
login redirect, `requests` plays the browser at the provider (without following redirects),
and the provider's redirect back is replayed through the same test client, so the session
that holds `state`, the PKCE verifier and the nonce is the one that started the login. The
app then exchanges the code and reads the profile over real HTTP: nothing is mocked.

The apps here are built per test and used without a long-lived app context, so each request
gets a fresh `g` and Flask-Login really reloads `current_user` from the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask.testing import FlaskClient
from flask_mail import email_dispatched
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from demo import create_app
from demo.auth.oauth import OAuthConfigError
from demo.auth.passwords import hash_password
from demo.extensions import db
from demo.models import OAuthAccount, Role, User
from demo.tasks.hooks import WELCOME_SUBJECT
from tests.auth.oauth_provider import SESSION_COOKIE, ProviderState, ProviderUser, running_provider

CLIENT_ID = "flaskproof-tests"
CLIENT_SECRET = "a-client-secret-only-the-provider-and-the-app-know"
FORGER_ID = "client-that-receives-forged-id-tokens"
CALLBACK = "http://localhost/auth/oauth/{}/callback"
# Every OAuth setting, blank, so the developer's own .env cannot leak into these apps.
NO_PROVIDERS: dict[str, Any] = {
    key: None
    for prefix in ("GITHUB", "GOOGLE", "OIDC")
    for key in (f"{prefix}_CLIENT_ID", f"{prefix}_CLIENT_SECRET")
} | {
    "OAUTH_PROVIDERS": ("github", "google", "generic"),
    "OIDC_DISCOVERY_URL": None,
    "OIDC_AUTHORIZE_URL": None,
    "OIDC_TOKEN_URL": None,
    "OIDC_USERINFO_URL": None,
    "OIDC_JWKS_URL": None,
    "OIDC_ISSUER": None,
}


@pytest.fixture(scope="module")
def provider() -> Iterator[ProviderState]:
    """One running provider for the module, with our app registered as a client."""
    with running_provider() as state:
        callbacks = [CALLBACK.format(name) for name in ("generic", "github")]
        scope = "openid email profile read:user user:email"
        state.add_client(CLIENT_ID, CLIENT_SECRET, callbacks, scope)
        state.add_client(FORGER_ID, CLIENT_SECRET, callbacks, scope, sign_with_unpublished_key=True)
        yield state


def provider_settings(provider: ProviderState, client_id: str = CLIENT_ID) -> dict[str, Any]:
    """Settings that point the generic OIDC provider and the GitHub preset at the test provider."""
    return {
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_NAME": "Loopback ID",
        "OIDC_DISCOVERY_URL": f"{provider.issuer}/.well-known/openid-configuration",
        "GITHUB_CLIENT_ID": CLIENT_ID,
        "GITHUB_CLIENT_SECRET": CLIENT_SECRET,
        "GITHUB_BASE_URL": provider.issuer,
        "GITHUB_API_URL": f"{provider.issuer}/api/",
    }


@pytest.fixture
def make_app(database_server) -> Callable[..., Flask]:
    """Build a testing app with exactly the given OAuth settings and an empty schema."""

    def build(**settings: Any) -> Flask:
        app = create_app("testing", **(NO_PROVIDERS | settings))
        if database_server is None:
            with app.app_context():
                db.create_all()
        return app

    return build


@pytest.fixture
def oauth_app(make_app, provider) -> Flask:
    """An app offering "Log in with Loopback ID" (generic OIDC) and GitHub, both on loopback."""
    return make_app(**provider_settings(provider))


def start_login(client: FlaskClient, name: str = "generic", **query: str) -> str:
    """Ask the app to start a login; the provider URL it redirects to."""
    response = client.get(f"/auth/oauth/{name}/login", query_string=query)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def visit_provider(location: str, user: ProviderUser, *, deny: bool = False) -> str:
    """Be the browser at the provider, signed in as `user`; the URL it sends us back to."""
    answer = requests.get(
        location,
        params={"deny": "1"} if deny else None,
        cookies={SESSION_COOKIE: user.login},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def follow_back(client: FlaskClient, url: str) -> TestResponse:
    """Replay the provider's redirect to our callback through the test client."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://localhost", url
    return client.get(parts.path, query_string=parts.query)


def oauth_login(
    client: FlaskClient, user: ProviderUser, name: str = "generic", **query: str
) -> TestResponse:
    """The whole dance: our login route, the provider, our callback."""
    return follow_back(client, visit_provider(start_login(client, name, **query), user))


def session_user_id(client: FlaskClient) -> int | None:
    """The user id Flask-Login keeps in this client's session (None: anonymous)."""
    with client.session_transaction() as session:
        stored = session.get("_user_id")
    # The id may carry a suffix after ":" (the user's session version, Q145).
    return int(str(stored).split(":")[0]) if stored else None


def add_local_user(app: Flask, email: str, username: str) -> int:
    """A user who registered with a password; returns the id."""
    with app.app_context():
        user = User(email=email, username=username, password_hash=hash_password("local pass 1"))
        db.session.add(user)
        db.session.commit()
        return user.id


def count(app: Flask, model: type) -> int:
    """How many rows of `model` exist."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def accounts(app: Flask) -> list[tuple[str, str, int]]:
    """Every linked account as (provider, subject, user id)."""
    with app.app_context():
        rows = db.session.execute(
            select(OAuthAccount.provider, OAuthAccount.subject, OAuthAccount.user_id)
        )
        return sorted(tuple(row) for row in rows)


# --- Logging in ------------------------------------------------------------------------------


@pytest.mark.answers("Q127", "Q098")
def test_first_login_creates_a_viewer_and_logs_them_in(oauth_app, provider):
    """A new provider user gets a local account (role viewer, unknown password) and a session."""
    ada = provider.add_user("ada", "ada@example.org", name="Ada Lovelace")
    client = oauth_app.test_client()
    mails = []

    with email_dispatched.connected_to(lambda app, message: mails.append(message)):
        response = oauth_login(client, ada)

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/profile"
    assert "<h1>ada</h1>" in client.get("/auth/profile").text  # current_user, next request
    with oauth_app.app_context():
        user = db.session.scalar(select(User))
        assert (user.username, user.email) == ("ada", "ada@example.org")
        assert [role.name for role in user.roles] == ["viewer"]
        assert user.password_hash.startswith("$2b$")  # a real hash of a secret nobody holds
        user_id = user.id
    assert accounts(oauth_app) == [("generic", ada.sub, user_id)]
    assert session_user_id(client) == user_id
    # A new account is a registration, whichever way it came: it gets the welcome mail.
    assert [(m.recipients, m.subject) for m in mails] == [(["ada@example.org"], WELCOME_SUBJECT)]


@pytest.mark.answers("Q127")
def test_second_login_reuses_the_linked_account(oauth_app, provider):
    """Logging in again, from another browser, finds the same user through the linked subject."""
    bea = provider.add_user("bea", "bea@example.org")
    first, second = oauth_app.test_client(), oauth_app.test_client()

    oauth_login(first, bea)
    response = oauth_login(second, bea)

    assert response.status_code == 302
    assert count(oauth_app, User) == 1
    assert count(oauth_app, OAuthAccount) == 1
    assert session_user_id(second) == session_user_id(first) is not None


@pytest.mark.answers("Q127")
def test_existing_role_row_is_reused_and_usernames_stay_unique(oauth_app, provider):
    """A taken username gets a number; the existing viewer role is reused, not duplicated."""
    add_local_user(oauth_app, "someone@example.org", "cleo")
    cleo = provider.add_user("cleo", "cleo@example.org")
    with oauth_app.app_context():
        db.session.add(Role(name="viewer"))
        db.session.commit()

    oauth_login(oauth_app.test_client(), cleo)

    with oauth_app.app_context():
        created = db.session.scalar(select(User).where(User.email == "cleo@example.org"))
        assert created.username == "cleo-2"
    assert count(oauth_app, Role) == 1


# --- Linking ---------------------------------------------------------------------------------


@pytest.mark.answers("Q127")
def test_verified_email_links_the_existing_local_user(oauth_app, provider):
    """The provider vouches for the address, so the login joins the local account with it."""
    local_id = add_local_user(oauth_app, "grace@example.org", "grace")
    grace = provider.add_user("grace-h", "Grace@Example.org", email_verified=True)
    client = oauth_app.test_client()

    response = oauth_login(client, grace)

    assert response.status_code == 302
    assert count(oauth_app, User) == 1
    assert accounts(oauth_app) == [("generic", grace.sub, local_id)]
    assert session_user_id(client) == local_id


@pytest.mark.answers("Q127")
def test_unverified_email_never_links_or_logs_in(oauth_app, provider):
    """Anyone can claim an address they do not own at a provider: no takeover through it."""
    add_local_user(oauth_app, "victim@example.org", "victim")
    attacker = provider.add_user("mallory", "victim@example.org", email_verified=False)
    client = oauth_app.test_client()

    response = oauth_login(client, attacker)

    assert response.status_code == 403
    assert "verified e-mail address" in response.text
    assert accounts(oauth_app) == []
    assert count(oauth_app, User) == 1
    assert session_user_id(client) is None
    assert client.get("/auth/profile").status_code == 302  # anonymous: off to the login page


@pytest.mark.answers("Q127")
def test_logged_in_user_links_a_second_provider(oauth_app, provider):
    """Signed in (here through GitHub), a login with another provider links it to the same user."""
    dana_github = provider.add_user("dana", "dana@example.org")
    dana_work = provider.add_user("dana-at-work", "dana@work.example")
    client = oauth_app.test_client()

    oauth_login(client, dana_github, "github")
    user_id = session_user_id(client)
    response = oauth_login(client, dana_work, "generic")

    assert response.status_code == 302
    assert count(oauth_app, User) == 1
    assert accounts(oauth_app) == [
        ("generic", dana_work.sub, user_id),
        ("github", dana_github.sub, user_id),
    ]


@pytest.mark.answers("Q127")
def test_account_linked_to_someone_else_is_not_taken_over(oauth_app, provider):
    """A provider account linked to another user is neither relinked nor used to switch users."""
    owner = provider.add_user("olga", "olga@example.org")
    other = provider.add_user("otto", "otto@example.org")
    oauth_login(oauth_app.test_client(), owner)  # olga's account, linked to her user
    client = oauth_app.test_client()
    oauth_login(client, other, "github")
    otto_id = session_user_id(client)

    response = oauth_login(client, owner, "generic")

    assert response.status_code == 409
    assert "belongs to another user" in response.text
    assert session_user_id(client) == otto_id
    assert len(accounts(oauth_app)) == 2


@pytest.mark.answers("Q127")
def test_github_preset_uses_the_verified_primary_email(oauth_app, provider):
    """GitHub's profile comes from /user and /user/emails; the primary address links the user."""
    local_id = add_local_user(oauth_app, "linus@example.org", "linus")
    linus = provider.add_user("torvalds", "linus@example.org")
    client = oauth_app.test_client()

    response = oauth_login(client, linus, "github")

    assert response.status_code == 302
    with oauth_app.app_context():
        account = db.session.scalar(select(OAuthAccount))
        assert (account.provider, account.subject) == ("github", str(linus.id))
        assert account.email == "linus@example.org"  # the primary, not the noreply address
        assert account.user_id == local_id
    assert session_user_id(client) == local_id


# --- The redirect and its protections --------------------------------------------------------


@pytest.mark.answers("Q127")
def test_login_redirect_carries_state_pkce_and_nonce(oauth_app, provider):
    """The provider URL has our callback, a state, an S256 PKCE challenge and an OIDC nonce."""
    client = oauth_app.test_client()

    oidc = urlsplit(start_login(client, "generic"))
    github = urlsplit(start_login(client, "github"))

    assert f"{oidc.scheme}://{oidc.netloc}{oidc.path}" == f"{provider.issuer}/authorize"
    params = {key: values[0] for key, values in parse_qs(oidc.query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == CALLBACK.format("generic")
    assert params["scope"] == "openid email profile"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert params["state"] and params["nonce"]
    with client.session_transaction() as session:
        assert f"_state_generic_{params['state']}" in session
    assert github.path == "/login/oauth/authorize"
    assert "nonce" not in parse_qs(github.query)  # plain OAuth 2: no ID token to bind


@pytest.mark.answers("Q127")
def test_callback_from_another_browser_is_refused(oauth_app, provider):
    """A code obtained in one browser cannot be redeemed in another: the state does not match."""
    erin = provider.add_user("erin", "erin@example.org")
    victim, attacker = oauth_app.test_client(), oauth_app.test_client()
    attacker.get("/auth/oauth/generic/login")  # the attacker has a login of their own pending
    callback = visit_provider(start_login(victim, "generic"), erin)

    response = follow_back(attacker, callback)

    assert response.status_code == 400
    assert "not started from this browser" in response.text
    assert count(oauth_app, User) == 0
    assert session_user_id(attacker) is None


@pytest.mark.answers("Q127")
def test_forged_state_is_a_400_page(oauth_app, provider):
    """A callback whose state this session never issued gets a clear 400, not a 500."""
    client = oauth_app.test_client()
    start_login(client)

    response = client.get("/auth/oauth/generic/callback?code=whatever&state=forged")

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "not started from this browser" in response.text


@pytest.mark.answers("Q127")
def test_denied_consent_is_a_400_page(oauth_app, provider):
    """A user who clicks "Deny" at the provider comes back to a clear 400 page, not logged in."""
    finn = provider.add_user("finn", "finn@example.org")
    client = oauth_app.test_client()

    callback = visit_provider(start_login(client), finn, deny=True)
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
    response = follow_back(client, callback)

    assert response.status_code == 400
    assert "You declined to let Loopback ID share your account" in response.text
    assert count(oauth_app, User) == 0
    assert session_user_id(client) is None


@pytest.mark.answers("Q127")
def test_id_token_signed_with_an_unknown_key_is_refused(make_app, provider):
    """An ID token whose signature does not verify against the provider's JWKS logs nobody in."""
    app = make_app(**provider_settings(provider, client_id=FORGER_ID))
    gus = provider.add_user("gus", "gus@example.org")
    client = app.test_client()

    response = oauth_login(client, gus)

    assert response.status_code == 400
    assert "could not be verified" in response.text
    assert count(app, User) == 0


@pytest.mark.answers("Q127")
@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/answers/Q127", "/answers/Q127"),
        ("https://evil.example/", "/auth/profile"),
        ("//evil.example/", "/auth/profile"),
        ("/\\evil.example/", "/auth/profile"),
    ],
)
def test_next_is_followed_only_on_this_site(oauth_app, provider, next_url, landing):
    """After the login the user lands on `next` if it is a local path, else on their profile."""
    hana = provider.add_user("hana", "hana@example.org")

    response = oauth_login(oauth_app.test_client(), hana, next=next_url)

    assert response.status_code == 302
    assert response.headers["Location"] == landing


# --- Configuration ---------------------------------------------------------------------------


@pytest.mark.answers("Q127")
def test_unknown_or_unconfigured_provider_is_404(oauth_app):
    """Only registered providers have routes: an unknown name, or Google without keys, is 404."""
    client = oauth_app.test_client()

    assert client.get("/auth/oauth/myspace/login").status_code == 404
    assert client.get("/auth/oauth/myspace/callback?code=x&state=y").status_code == 404
    assert client.get("/auth/oauth/google/login").status_code == 404


@pytest.mark.answers("Q127")
def test_login_page_offers_only_providers_with_credentials(make_app):
    """With only GitHub's keys set, the login page links to GitHub alone, passing `next` on."""
    app = make_app(GITHUB_CLIENT_ID="id", GITHUB_CLIENT_SECRET="secret")

    page = app.test_client().get("/auth/login?next=/answers/")

    assert page.status_code == 200
    assert 'href="/auth/oauth/github/login?next=/answers/"' in page.text
    assert "Log in with GitHub" in page.text
    assert "Log in with Google" not in page.text
    assert "Log in with OpenID" not in page.text


@pytest.mark.answers("Q127")
def test_generic_provider_works_from_explicit_endpoints(make_app, provider):
    """Without a discovery document, the endpoints (and JWKS, issuer) can be given one by one."""
    app = make_app(
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_AUTHORIZE_URL=f"{provider.issuer}/authorize",
        OIDC_TOKEN_URL=f"{provider.issuer}/token",
        OIDC_USERINFO_URL=f"{provider.issuer}/userinfo",
        OIDC_JWKS_URL=f"{provider.issuer}/jwks",
        OIDC_ISSUER=provider.issuer,
    )
    ivy = provider.add_user("ivy", "ivy@example.org")
    client = app.test_client()

    response = oauth_login(client, ivy)

    assert response.status_code == 302
    assert accounts(app) == [("generic", ivy.sub, session_user_id(client))]


@pytest.mark.answers("Q127")
@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"GITHUB_CLIENT_ID": "id-without-a-secret"}, "GITHUB_CLIENT_SECRET"),
        ({"OAUTH_PROVIDERS": "github,myspace"}, "myspace"),
        ({"OIDC_CLIENT_ID": "id", "OIDC_CLIENT_SECRET": "secret"}, "OIDC_DISCOVERY_URL"),
    ],
)
def test_incomplete_settings_stop_the_app_at_start_up(settings, message):
    """A half-configured provider fails `create_app` with a clear message, not a login later."""
    with pytest.raises(OAuthConfigError, match=message):
        create_app("testing", **(NO_PROVIDERS | settings))


@pytest.mark.answers("Q127")
def test_each_app_gets_its_own_provider_registry(make_app, provider):
    """Two apps keep their own clients; one shared Authlib `OAuth` would hand the first's out."""
    first = make_app(**provider_settings(provider))
    second = make_app(**provider_settings(provider, client_id=FORGER_ID))

    def client_id(app: Flask) -> str:
        with app.app_context():
            return app.extensions["oauth_login"].registry.create_client("generic").client_id

    assert (client_id(first), client_id(second)) == (CLIENT_ID, FORGER_ID)

    # The pitfall avoided: Authlib's registry caches the client built for the first app.
    shared = OAuth()
    for app, registered_id in ((first, CLIENT_ID), (second, FORGER_ID)):
        shared.init_app(app)
        shared.register("generic", client_id=registered_id, client_secret="s")
    assert shared.create_client("generic").client_id == CLIENT_ID
