"""Log in with GitHub, Google or any OpenID Connect provider, through Authlib (Q127).

Settings in `app.config` (read from the environment by `demo.config`) become Authlib
clients when the app is created. A provider is registered only when its client id and
secret are both set, so an app without credentials simply offers no "Log in with ..." links.

Each app gets an Authlib `OAuth` registry of its own, kept in `app.extensions`, instead of
the module-level object most examples use. Authlib's registry is not per-app state:
`OAuth.init_app` stores *the* app on the object, `register()` writes into a dict on the
object, and the client built on first use (with its settings and the provider's discovery
document) is cached there for good. Two apps in one process (tests, or one app per tenant)
would share, or silently overwrite, each other's providers.

Presets:

- GitHub is plain OAuth 2 (no ID token): the profile comes from the REST API, and the e-mail
  from ``/user/emails``, the only place that says whether an address is *verified*.
- Google is OpenID Connect, configured from its discovery document.
- "generic" is any OpenID Connect provider, from a discovery URL or from explicit endpoints.

Every client uses PKCE (S256) and a `state` value kept in the session; OIDC clients also send
a `nonce` that must come back inside the signed ID token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_client import FlaskOAuth2App, OAuth, OAuthError
from flask import Flask, current_app

EXTENSION_KEY = "oauth_login"
GOOGLE_DISCOVERY_URL = "https://accounts.google.com/.well-known/openid-configuration"
GITHUB_SCOPE = "read:user user:email"
OIDC_SCOPE = "openid email profile"
HTTP_TIMEOUT_SECONDS = 10


class OAuthConfigError(RuntimeError):
    """The OAuth settings are incomplete: raised while the app is created, not at login."""


@dataclass(frozen=True)
class OAuthProfile:
    """Who the provider says the user is, reduced to what this app needs."""

    subject: str
    email: str | None
    email_verified: bool
    username: str | None = None
    name: str | None = None


ProfileFetcher = Callable[[FlaskOAuth2App, dict[str, Any]], OAuthProfile]


@dataclass(frozen=True)
class Provider:
    """One configured provider: its URL name, the label users see, how to read the profile."""

    name: str
    label: str
    fetch_profile: ProfileFetcher
    settings: dict[str, Any] = field(repr=False)  # keyword arguments for `OAuth.register`


@dataclass(frozen=True)
class OAuthLogin:
    """This app's Authlib registry and the providers registered on it."""

    registry: OAuth
    providers: dict[str, Provider]


def fetch_oidc_profile(client: FlaskOAuth2App, token: dict[str, Any]) -> OAuthProfile:
    """The profile from the verified ID token, completed by the userinfo endpoint.

    Authlib has already checked the ID token's signature against the provider's JWKS and its
    issuer, audience, expiry and nonce (`token["userinfo"]` holds the claims). A userinfo
    answer must be about the same subject (OIDC Core 5.3.2).
    """
    claims = dict(token.get("userinfo") or {})
    if client.load_server_metadata().get("userinfo_endpoint"):
        info = client.userinfo(token=token)
        if claims and info.get("sub") != claims.get("sub"):
            raise OAuthError("invalid_userinfo", "The userinfo is about another subject.")
        claims = {**info, **claims}
    if not claims.get("sub"):
        raise OAuthError("invalid_userinfo", "The provider did not identify the user.")
    return OAuthProfile(
        subject=str(claims["sub"]),
        email=claims.get("email"),
        # Some providers send the string "true"; anything else is not a verified address.
        email_verified=claims.get("email_verified") in (True, "true"),
        username=claims.get("preferred_username") or claims.get("nickname"),
        name=claims.get("name"),
    )


def fetch_github_profile(client: FlaskOAuth2App, token: dict[str, Any]) -> OAuthProfile:
    """The GitHub user and their primary e-mail, with GitHub's word on its verification.

    The ``email`` field of ``/user`` is the address the user chose to show publicly; it is
    often empty and says nothing about verification, so it is not used.
    """
    headers = {"Accept": "application/vnd.github+json"}
    user = client.get("user", token=token, headers=headers)
    user.raise_for_status()
    emails = client.get("user/emails", token=token, headers=headers)
    emails.raise_for_status()
    account = user.json()
    primary = next((entry for entry in emails.json() if entry.get("primary")), None)
    return OAuthProfile(
        subject=str(account["id"]),
        email=primary["email"] if primary else None,
        email_verified=bool(primary) and primary.get("verified") is True,
        username=account.get("login"),
        name=account.get("name"),
    )


def _credentials(config: Mapping[str, Any], prefix: str) -> dict[str, str] | None:
    client_id = config.get(f"{prefix}_CLIENT_ID")
    client_secret = config.get(f"{prefix}_CLIENT_SECRET")
    if not client_id and not client_secret:
        return None
    if not (client_id and client_secret):
        raise OAuthConfigError(
            f"Set both {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET, or neither."
        )
    return {"client_id": client_id, "client_secret": client_secret}


def _client_kwargs(scope: str) -> dict[str, Any]:
    return {
        "scope": scope,
        # PKCE even for a confidential client: a stolen code is useless without the verifier.
        "code_challenge_method": "S256",
        # Requests has no timeout by default: a hung provider would hold a worker forever.
        "default_timeout": HTTP_TIMEOUT_SECONDS,
    }


def github_provider(config: Mapping[str, Any]) -> Provider | None:
    """GitHub (or GitHub Enterprise Server), when GITHUB_CLIENT_ID/SECRET are set."""
    credentials = _credentials(config, "GITHUB")
    if credentials is None:
        return None
    base_url = (config.get("GITHUB_BASE_URL") or "https://github.com").rstrip("/")
    api_url = (config.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/") + "/"
    settings = {
        **credentials,
        "authorize_url": f"{base_url}/login/oauth/authorize",
        "access_token_url": f"{base_url}/login/oauth/access_token",
        "api_base_url": api_url,
        # GitHub documents the credentials as form fields of the token request.
        "client_kwargs": _client_kwargs(GITHUB_SCOPE)
        | {"token_endpoint_auth_method": "client_secret_post"},
    }
    return Provider("github", "GitHub", fetch_github_profile, settings)


def google_provider(config: Mapping[str, Any]) -> Provider | None:
    """Google, through its OpenID Connect discovery document."""
    credentials = _credentials(config, "GOOGLE")
    if credentials is None:
        return None
    settings = {
        **credentials,
        "server_metadata_url": GOOGLE_DISCOVERY_URL,
        "client_kwargs": _client_kwargs(OIDC_SCOPE),
    }
    return Provider("google", "Google", fetch_oidc_profile, settings)


def generic_provider(config: Mapping[str, Any]) -> Provider | None:
    """Any OpenID Connect provider: a discovery URL, or the endpoints given one by one."""
    credentials = _credentials(config, "OIDC")
    if credentials is None:
        return None
    scope = config.get("OIDC_SCOPE") or OIDC_SCOPE
    settings: dict[str, Any] = {**credentials, "client_kwargs": _client_kwargs(scope)}
    if config.get("OIDC_DISCOVERY_URL"):
        settings["server_metadata_url"] = config["OIDC_DISCOVERY_URL"]
    else:
        settings.update(_explicit_endpoints(config, scope))
    return Provider(
        "generic", config.get("OIDC_NAME") or "OpenID Connect", fetch_oidc_profile, settings
    )


def _explicit_endpoints(config: Mapping[str, Any], scope: str) -> dict[str, str]:
    if not (config.get("OIDC_AUTHORIZE_URL") and config.get("OIDC_TOKEN_URL")):
        raise OAuthConfigError(
            "The generic OIDC provider needs OIDC_DISCOVERY_URL, "
            "or OIDC_AUTHORIZE_URL and OIDC_TOKEN_URL."
        )
    wants_id_token = "openid" in scope.split()
    if wants_id_token and not config.get("OIDC_JWKS_URL"):
        raise OAuthConfigError("OIDC_JWKS_URL is needed to verify ID tokens (scope 'openid').")
    if not wants_id_token and not config.get("OIDC_USERINFO_URL"):
        raise OAuthConfigError("Without the 'openid' scope, OIDC_USERINFO_URL is needed.")
    # Authlib treats unknown keyword arguments as provider metadata, as if discovered.
    metadata = {
        "userinfo_endpoint": config.get("OIDC_USERINFO_URL"),
        "jwks_uri": config.get("OIDC_JWKS_URL"),
        "issuer": config.get("OIDC_ISSUER"),
    }
    return {
        "authorize_url": config["OIDC_AUTHORIZE_URL"],
        "access_token_url": config["OIDC_TOKEN_URL"],
        **{key: value for key, value in metadata.items() if value},
    }


PRESETS: dict[str, Callable[[Mapping[str, Any]], Provider | None]] = {
    "github": github_provider,
    "google": google_provider,
    "generic": generic_provider,
}


def _provider_names(value: str | tuple[str, ...] | list[str]) -> list[str]:
    names = value.split(",") if isinstance(value, str) else value
    return [name.strip().lower() for name in names if name.strip()]


def init_oauth(app: Flask) -> OAuthLogin:
    """Register this app's configured providers on an Authlib registry of its own."""
    registry = OAuth(app)  # also stored by Authlib in app.extensions
    providers: dict[str, Provider] = {}
    for name in _provider_names(app.config.get("OAUTH_PROVIDERS", ())):
        if name not in PRESETS:
            raise OAuthConfigError(
                f"Unknown provider {name!r} in OAUTH_PROVIDERS; known: {', '.join(PRESETS)}."
            )
        provider = PRESETS[name](app.config)
        if provider is not None:
            registry.register(name, **provider.settings)
            providers[name] = provider
    state = OAuthLogin(registry, providers)
    app.extensions[EXTENSION_KEY] = state
    return state


def oauth_login_state() -> OAuthLogin:
    """The current app's registry and providers."""
    return current_app.extensions[EXTENSION_KEY]


def configured_providers() -> list[Provider]:
    """The providers the login page offers, in the order of OAUTH_PROVIDERS."""
    return list(oauth_login_state().providers.values())
