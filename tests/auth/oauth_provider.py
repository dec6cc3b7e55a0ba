"""A small but real OAuth 2 / OpenID Connect provider for the login tests (Q127).

It is built on Authlib's *server* side (`authlib.integrations.flask_oauth2`) and served by
Werkzeug on a loopback port, so the app's Authlib *client* runs unmodified: it fetches the
discovery document and JWKS, redirects to `/authorize`, exchanges the code at `/token` and
reads the profile, all over real HTTP.

- ``/authorize`` (also GitHub's ``/login/oauth/authorize``) insists on PKCE S256. The
  ``provider_user`` cookie plays the browser's session at the provider: that user is signed
  in and approves at once, unless the query has ``deny=1`` (the user clicked "Deny").
- ``/token`` (also ``/login/oauth/access_token``) checks the client secret and the PKCE
  verifier and, for the ``openid`` scope, adds an RS256 ID token that carries only ``sub``
  and the nonce, so the e-mail can only come from the userinfo endpoint.
- ``/userinfo`` answers OIDC claims; ``/api/user`` and ``/api/user/emails`` answer in
  GitHub's shape. All three require a bearer token with the right scope.
- A client registered with ``sign_with_unpublished_key`` gets ID tokens signed by a key that
  is not in the JWKS: a forged token, as an attacker without the provider's key would make.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server

SESSION_COOKIE = "provider_user"
KEY_ID = "provider-signing-key"
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass
class ProviderUser:
    """An account at the provider."""

    id: int
    login: str
    email: str
    email_verified: bool
    name: str

    @property
    def sub(self) -> str:
        return str(self.id)


@dataclass
class Client(ClientMixin):
    """A relying party registered at the provider (our app is one)."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    scope: str
    sign_with_unpublished_key: bool = False

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.scope.split())
        return " ".join(item for item in (scope or "").split() if item in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in TOKEN_AUTH_METHODS if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    """An issued, not yet redeemed, authorization code."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user_id: int
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class AccessToken(TokenMixin):
    """An issued bearer token."""

    access_token: str
    client_id: str
    scope: str
    user_id: int
    expires_at: float

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - time.time())

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return False


@dataclass
class ProviderState:
    """Everything the provider knows, in memory."""

    issuer: str = ""
    users: dict[str, ProviderUser] = field(default_factory=dict)  # by login
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    signing_key: RSAKey = field(default_factory=lambda: _rsa_key())
    unpublished_key: RSAKey = field(default_factory=lambda: _rsa_key())
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(4001))

    def add_user(
        self, login: str, email: str, *, email_verified: bool = True, name: str = ""
    ) -> ProviderUser:
        """Open an account at the provider."""
        user = ProviderUser(next(self._ids), login, email, email_verified, name or login)
        self.users[login] = user
        return user

    def add_client(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        scope: str,
        *,
        sign_with_unpublished_key: bool = False,
    ) -> Client:
        """Register a relying party."""
        client = Client(
            client_id, client_secret, tuple(redirect_uris), scope, sign_with_unpublished_key
        )
        self.clients[client_id] = client
        return client

    def user_by_id(self, user_id: int) -> ProviderUser:
        return next(user for user in self.users.values() if user.id == user_id)

    def save_token(self, token: dict[str, Any], oauth_request: Any) -> None:
        self.tokens[token["access_token"]] = AccessToken(
            access_token=token["access_token"],
            client_id=oauth_request.client.client_id,
            scope=token.get("scope", ""),
            user_id=oauth_request.user.id,
            expires_at=time.time() + token["expires_in"],
        )


def _rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "alg": "RS256", "use": "sig"})


class ProviderServer(AuthorizationServer):
    """Authlib's Flask authorization server, holding on to the in-memory state."""

    def __init__(self, app: Flask, state: ProviderState) -> None:
        self.state = state
        super().__init__(app, query_client=state.clients.get, save_token=state.save_token)


class CodeGrant(grants.AuthorizationCodeGrant):
    """The authorization-code grant, storing codes in `ProviderState`."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(TOKEN_AUTH_METHODS)

    def save_authorization_code(self, code: str, oauth_request: Any) -> None:
        data = oauth_request.payload.data
        self.server.state.codes[code] = AuthorizationCode(
            code=code,
            client_id=oauth_request.client.client_id,
            redirect_uri=oauth_request.payload.redirect_uri,
            scope=oauth_request.scope,
            user_id=oauth_request.user.id,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            auth_time=int(time.time()),
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        item = self.server.state.codes.get(code)
        return item if item is not None and item.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        self.server.state.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: AuthorizationCode) -> ProviderUser:
        return self.server.state.user_by_id(authorization_code.user_id)


class IdTokens(OpenIDCode):
    """Adds a signed ID token to the token response when the scope has ``openid``."""

    def __init__(self, state: ProviderState) -> None:
        super().__init__(require_nonce=True)
        self.state = state

    def exists_nonce(self, nonce: str, oauth_request: Any) -> bool:
        return any(code.nonce == nonce for code in self.state.codes.values())

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        if client.sign_with_unpublished_key:
            return self.state.unpublished_key
        return self.state.signing_key

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        return {"iss": self.state.issuer, "aud": [client.client_id]}

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": KEY_ID}

    def generate_user_info(self, user: ProviderUser, scope: str) -> UserInfo:
        return UserInfo(sub=user.sub)


class StoredBearerTokens(BearerTokenValidator):
    """Looks bearer tokens up in `ProviderState`."""

    def __init__(self, state: ProviderState) -> None:
        super().__init__()
        self.state = state

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        return self.state.tokens.get(token_string)


def create_provider_app(state: ProviderState) -> Flask:
    """The provider's Flask app: authorization, token, userinfo, discovery and JWKS."""
    app = Flask(__name__)
    server = ProviderServer(app, state)
    server.register_grant(CodeGrant, [CodeChallenge(required=True), IdTokens(state)])
    require_oauth = ResourceProtector()
    require_oauth.register_token_validator(StoredBearerTokens(state))

    def token_user() -> ProviderUser:
        return state.user_by_id(current_token.user_id)

    def authorize() -> Any:
        if request.args.get("code_challenge_method") != "S256":
            return {"error": "invalid_request", "error_description": "PKCE S256 required"}, 400
        user = state.users.get(request.cookies.get(SESSION_COOKIE, ""))
        if user is None:
            return "Sign in at the provider first.", 401
        try:
            grant = server.get_consent_grant(end_user=user)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)
        approved = request.args.get("deny") != "1"
        return server.create_authorization_response(
            grant=grant, grant_user=user if approved else None
        )

    def issue_token() -> Any:
        return server.create_token_response()

    for path in ("/authorize", "/login/oauth/authorize"):
        app.add_url_rule(path, view_func=authorize, endpoint=path)
    for path in ("/token", "/login/oauth/access_token"):
        app.add_url_rule(path, view_func=issue_token, endpoint=path, methods=["POST"])

    @app.get("/userinfo")
    @require_oauth("openid")
    def userinfo() -> Any:
        user = token_user()
        return {
            "sub": user.sub,
            "email": user.email,
            "email_verified": user.email_verified,
            "name": user.name,
            "preferred_username": user.login,
        }

    @app.get("/api/user")
    @require_oauth("read:user")
    def github_user() -> Any:
        user = token_user()
        # GitHub's `email` is the public address, often empty: clients must not rely on it.
        return {"id": user.id, "login": user.login, "name": user.name, "email": None}

    @app.get("/api/user/emails")
    @require_oauth("user:email")
    def github_emails() -> Any:
        user = token_user()
        noreply = f"{user.id}+{user.login}@users.noreply.github.com"
        return jsonify(
            [
                {"email": noreply, "primary": False, "verified": True, "visibility": None},
                {
                    "email": user.email,
                    "primary": True,
                    "verified": user.email_verified,
                    "visibility": "private",
                },
            ]
        )

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        base = state.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks() -> Any:
        return {"keys": [state.signing_key.as_dict(private=False)]}

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Keep the test output free of one access-log line per provider request."""


@contextmanager
def running_provider() -> Iterator[ProviderState]:
    """Serve a fresh provider on 127.0.0.1 (any free port) in a thread, for the `with` block."""
    state = ProviderState()
    server = make_server(
        "127.0.0.1", 0, create_provider_app(state), threaded=True, request_handler=_QuietHandler
    )
    state.issuer = f"http://127.0.0.1:{server.server_port}"
    # A short poll interval: `shutdown()` waits for the serving loop to notice it.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="oauth-provider"
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
