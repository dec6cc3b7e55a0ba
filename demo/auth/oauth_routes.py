"""The "Log in with ..." routes: off to the provider, back with a code, then who is this? (Q127)

``GET /auth/oauth/<provider>/login`` redirects to the provider with `state`, a PKCE
challenge and, for OpenID Connect, a `nonce`; Authlib keeps all three in the session.
``GET /auth/oauth/<provider>/callback`` checks `state`, exchanges the code (with the PKCE
verifier) over a direct HTTPS call, reads the profile, then decides which local user this is:

1. an account already linked to this provider subject: that user;
2. someone already logged in: link the provider account to them;
3. a local user with the same e-mail, *if the provider vouches that the e-mail is verified*:
   link and log in. With an unverified address, anyone could open an account at a provider
   under the victim's e-mail and be logged straight into the victim's account here, so
   unverified addresses never link (and never create a user, or the same trick would work
   the other way round when the victim signs up later);
4. otherwise a new user (role viewer, no usable password).

Every failure the user or the provider can cause gets a page with a clear message, never a 500.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata

import requests
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import OAuthError
from flask import abort, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from demo.auth import bp
from demo.auth.login import safe_next_url
from demo.auth.oauth import EXTENSION_KEY, OAuthProfile, Provider, oauth_login_state
from demo.auth.passwords import hash_password
from demo.auth.services import DEFAULT_ROLE, find_user_by_email
from demo.auth.sessions import renew_session
from demo.errors import error_response
from demo.extensions import db
from demo.models import OAuthAccount, Role, User
from demo.tasks.hooks import user_registered

log = logging.getLogger(__name__)

NEXT_KEY = "oauth_next"
# The registration form asks for 3 to 64 of these characters; a number may be appended.
USERNAME_MIN, USERNAME_MAX = 3, 48


class LoginRefused(Exception):
    """The provider vouched for someone, but this app will not log them in as anyone."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@bp.app_context_processor
def inject_oauth_providers() -> dict[str, object]:
    """`oauth_providers` in every template, for the "Log in with ..." buttons."""
    state = current_app.extensions.get(EXTENSION_KEY)
    return {"oauth_providers": list(state.providers.values()) if state else []}


@bp.get("/oauth/<provider>/login")
def oauth_login(provider: str) -> ResponseReturnValue:
    """Send the browser to the provider's consent page."""
    spec = _provider_or_404(provider)
    session[NEXT_KEY] = safe_next_url(request.args.get("next"))
    client = oauth_login_state().registry.create_client(spec.name)
    callback = url_for(".oauth_callback", provider=spec.name, _external=True)
    try:
        return client.authorize_redirect(callback)
    except requests.RequestException as error:  # the discovery document could not be fetched
        log.warning("OAuth discovery for %s failed: %s", spec.name, error)
        return error_response(502, f"{spec.label} cannot be reached right now; try again later.")


@bp.get("/oauth/<provider>/callback")
def oauth_callback(provider: str) -> ResponseReturnValue:
    """The provider sends the browser back here with a code (or an error) and our state."""
    spec = _provider_or_404(provider)
    next_url = session.pop(NEXT_KEY, None)
    client = oauth_login_state().registry.create_client(spec.name)
    try:
        token = client.authorize_access_token()
        profile = spec.fetch_profile(client, token)
    except OAuthError as error:
        log.warning("OAuth login with %s refused: %s", spec.name, error.error)
        return error_response(400, _explain(spec, error))
    except JoseError as error:
        log.warning("OAuth login with %s: bad ID token: %s", spec.name, error)
        return error_response(
            400, f"The identity token from {spec.label} could not be verified; not logged in."
        )
    except requests.RequestException as error:
        log.warning("OAuth login with %s: the provider failed: %s", spec.name, error)
        return error_response(502, f"{spec.label} did not answer properly; try again later.")

    try:
        user, message = resolve_user(spec, profile)
        db.session.commit()
    except LoginRefused as refusal:
        db.session.rollback()
        return error_response(refusal.status, refusal.message)
    except IntegrityError:  # a concurrent request linked or created the same thing first
        db.session.rollback()
        return error_response(409, "That account changed while you were logging in; try again.")
    if not login_user(user):
        return error_response(403, "This account is disabled.")
    renew_session()  # a new session id for the new identity: no session fixation
    flash(message, "success")
    return redirect(next_url or url_for(".profile"))


def _provider_or_404(name: str) -> Provider:
    provider = oauth_login_state().providers.get(name)
    if provider is None:
        abort(404, description="There is no login provider with that name.")
    return provider


def _explain(provider: Provider, error: OAuthError) -> str:
    if error.error == "access_denied":
        return f"You declined to let {provider.label} share your account, so you are not logged in."
    if isinstance(error, MismatchingStateError):
        # The state ties the callback to a login this browser started: without that tie,
        # an attacker could log a victim into the attacker's account (login CSRF).
        return "This login was not started from this browser, or it expired. Please start again."
    return f"{provider.label} did not complete the login ({error.error}). Please start again."


def resolve_user(provider: Provider, profile: OAuthProfile) -> tuple[User, str]:
    """The local user this provider login stands for, linking or creating as needed.

    Returns the user and the message to flash; raises `LoginRefused`. The caller commits.
    """
    account = db.session.scalar(
        select(OAuthAccount).where(
            OAuthAccount.provider == provider.name, OAuthAccount.subject == profile.subject
        )
    )
    signed_in = current_user.is_authenticated
    if account is not None:
        if signed_in and current_user.id != account.user_id:
            raise LoginRefused(409, f"This {provider.label} account belongs to another user.")
        account.email = profile.email
        return account.user, f"Logged in with {provider.label}."
    if signed_in:
        user = current_user._get_current_object()
        _link(user, provider, profile)
        return user, f"Your {provider.label} account is now linked."
    if not (profile.email and profile.email_verified):
        raise LoginRefused(
            403,
            f"{provider.label} did not confirm a verified e-mail address for this account, "
            "so it cannot be used to sign up or to join an existing account. Verify the "
            f"address at {provider.label}, or log in with your password and link it then.",
        )
    user = find_user_by_email(profile.email)
    if user is not None:
        _link(user, provider, profile)
        return user, f"Logged in with {provider.label}; it is now linked to your account."
    user = _create_user(profile, profile.email)
    _link(user, provider, profile)
    return user, f"Welcome, {user.username}! Your account was created with {provider.label}."


def _link(user: User, provider: Provider, profile: OAuthProfile) -> None:
    db.session.add(
        OAuthAccount(
            user=user, provider=provider.name, subject=profile.subject, email=profile.email
        )
    )


def _create_user(profile: OAuthProfile, email: str) -> User:
    role = db.session.scalar(select(Role).where(Role.name == DEFAULT_ROLE))
    user = User(
        email=email,
        username=_unique_username(profile),
        # Nobody knows this password, so password login stays impossible until the user sets
        # one; a real bcrypt hash keeps every password code path free of special cases.
        password_hash=hash_password(secrets.token_urlsafe(32)),
        roles=[role or Role(name=DEFAULT_ROLE)],
    )
    db.session.add(user)
    # Not committed yet: the welcome mail is queued when the caller's commit succeeds.
    user_registered.send(current_app._get_current_object(), user=user)
    return user


def _unique_username(profile: OAuthProfile) -> str:
    """A readable username from the profile, made unique with a number when taken."""
    email_name = profile.email.split("@", 1)[0] if profile.email else None
    for candidate in (profile.username, profile.name, email_name):
        base = _slug(candidate or "")
        if len(base) >= USERNAME_MIN:
            break
    else:
        base = "user"
    taken = set(db.session.scalars(select(User.username).where(User.username.like(f"{base}%"))))
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_.]+", "-", ascii_text.lower()).strip("-.")[:USERNAME_MAX]
