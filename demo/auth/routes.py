"""The account pages: register, log in, log out, profile (Q033, Q042-Q044, Q093, Q143, Q145).

Every form is a Flask-WTF form, so every POST here carries a CSRF token (checked app-wide by
`CSRFProtect` before the view runs). Successful POSTs redirect with 303 (Post/Redirect/Get);
invalid ones re-render the page with the errors and a 422.

Login and registration are throttled per client address and per address + account
(Flask-Limiter), and a failed login says the same thing, with the same status, whether the
e-mail address is unknown or the password is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import (
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError

from demo.auth import bp
from demo.auth.forms import ChangePasswordForm, LoginForm, ProfileForm, RegistrationForm
from demo.auth.login import safe_next_url
from demo.auth.services import (
    AccountTakenError,
    authenticate,
    change_password,
    end_all_sessions,
    register_user,
    update_profile,
)
from demo.auth.sessions import renew_session
from demo.errors import error_response
from demo.extensions import db, limiter
from demo.i18n.locale import SESSION_KEY as LANGUAGE_KEY
from demo.models import User

log = logging.getLogger(__name__)

INVALID_LOGIN = lazy_gettext("Invalid e-mail address or password.")
TOO_MANY_ATTEMPTS = "Too many attempts from your address. Wait a minute, then try again."
TAKEN_MESSAGES = {
    "username": lazy_gettext("That username is taken."),
    "email": lazy_gettext("An account with this e-mail address already exists."),
}


# --- CSRF (Q093, Q097) -------------------------------------------------------------------


@bp.app_errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> Response:
    """A write (POST, PUT, PATCH, DELETE) without a valid CSRF token: a clear 400, HTML or JSON."""
    log.warning("CSRF check failed on %s %s: %s", request.method, request.path, error.description)
    return error_response(
        400,
        f"This form could not be accepted: {error.description} "
        "Reload the page and submit it again.",
    )


# --- Rate limits (Q096) ------------------------------------------------------------------


def _address_and_account() -> str:
    """Rate-limit key: the client address plus the e-mail address being tried."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{get_remote_address()}|{email}"


def _throttled(*, failures_only: bool = False) -> Callable:
    """Both limits for a login or registration POST (viewing the page costs nothing).

    Per address + account stops one client from guessing one account's password; per
    address stops it from trying one password on many accounts. A limit per account alone
    would let anyone lock a victim out, so it is not used here.
    """
    per_account = limiter.limit(
        lambda: current_app.config["AUTH_RATE_LIMIT_PER_ACCOUNT"],
        key_func=_address_and_account,
        methods=["POST"],
        error_message=TOO_MANY_ATTEMPTS,
        # Successful logins (redirects) do not use up the account's allowance.
        deduct_when=(lambda response: response.status_code != 303) if failures_only else None,
    )
    per_address = limiter.limit(
        lambda: current_app.config["AUTH_RATE_LIMIT_PER_ADDRESS"],
        methods=["POST"],
        error_message=TOO_MANY_ATTEMPTS,
    )

    def decorate(view: Callable) -> Callable:
        return per_address(per_account(view))

    return decorate


# --- Helpers -----------------------------------------------------------------------------


def _render(template: str, *forms: FlaskForm, **context: object) -> tuple[str, int]:
    """The page, with 422 when a submitted form was refused, else 200."""
    failed = request.method == "POST" and any(form.errors for form in forms)
    return render_template(template, **context), 422 if failed else 200


def _show_taken(form: FlaskForm, error: AccountTakenError) -> None:
    """Put a lost uniqueness race on the fields it concerns, like the form's own check."""
    for name in error.fields:
        form[name].errors.append(TAKEN_MESSAGES[name])


def _log_in(user: User, *, remember: bool) -> None:
    login_user(user, remember=remember)
    renew_session()  # new session id and CSRF secret for the new identity


def _log_out(message: str) -> None:
    language = session.get(LANGUAGE_KEY)
    session.clear()  # first: logout_user then records that the remember cookie must go
    logout_user()
    if language:
        session[LANGUAGE_KEY] = language  # the browser's language choice outlives the login
    flash(message, "info")
    renew_session()  # last: moves what is left (the message) away from the old id


# --- Pages -------------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@_throttled()
def register() -> ResponseReturnValue:
    """Sign up, then start a session for the new account."""
    if current_user.is_authenticated:
        return redirect(url_for(".profile"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = register_user(form.username.data, form.email.data, form.password.data)
        except AccountTakenError as taken:
            _show_taken(form, taken)
        else:
            _log_in(user, remember=False)
            flash(
                gettext("Welcome, %(name)s! Your account is ready.", name=user.username), "success"
            )
            return redirect(url_for(".profile"), 303)
    return _render("auth/register.html", form, form=form)


@bp.route("/login", methods=["GET", "POST"])
@_throttled(failures_only=True)
def login() -> ResponseReturnValue:
    """Log in with e-mail and password; go back to `next` if it is a page of this site."""
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for(".profile"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()  # keeps a re-hashed password when the work factor rose
            _log_in(user, remember=form.remember.data)
            flash(gettext("Logged in as %(name)s.", name=user.username), "success")
            return redirect(next_url or url_for(".profile"), 303)
        # One message for an unknown address and a wrong password: no account enumeration.
        form.form_errors.append(INVALID_LOGIN)
    return _render("auth/login.html", form, form=form, next_url=next_url)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End this session and forget the remember-me cookie (a POST: it changes state)."""
    _log_out(gettext("You have been logged out."))
    return redirect(url_for(".login"), 303)


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere() -> ResponseReturnValue:
    """End every session and remember-me cookie of this account, on every device (Q145)."""
    end_all_sessions(current_user)
    db.session.commit()
    _log_out(gettext("You have been logged out on every device."))
    return redirect(url_for(".login"), 303)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> ResponseReturnValue:
    """Show the profile and the password form; save the profile on POST."""
    profile_form = ProfileForm(obj=current_user)
    if profile_form.validate_on_submit():
        try:
            update_profile(
                current_user,
                username=profile_form.username.data,
                email=profile_form.email.data,
                bio=profile_form.bio.data,
                image=profile_form.image.data,
            )
        except AccountTakenError as taken:
            _show_taken(profile_form, taken)
        else:
            flash(gettext("Your profile has been saved."), "success")
            return redirect(url_for(".profile"), 303)
    return _profile_page(profile_form, ChangePasswordForm(prefix="password", formdata=None))


@bp.post("/password", endpoint="change_password")
@login_required
def change_password_page() -> ResponseReturnValue:
    """Change the password; every other session of the account ends, this one continues."""
    password_form = ChangePasswordForm(prefix="password")
    if password_form.validate_on_submit():
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        user = current_user._get_current_object()
        change_password(user, password_form.new_password.data)
        # The version rose, so this session's stored id is outdated too: store the new one
        # (and a new remember-me cookie if this browser had one).
        _log_in(user, remember=remembered in request.cookies)
        flash(gettext("Password changed. Every other session has been logged out."), "success")
        return redirect(url_for(".profile"), 303)
    return _profile_page(ProfileForm(obj=current_user, formdata=None), password_form)


def _profile_page(
    profile_form: ProfileForm, password_form: ChangePasswordForm
) -> ResponseReturnValue:
    return _render(
        "auth/profile.html",
        profile_form,
        password_form,
        profile_form=profile_form,
        password_form=password_form,
    )


# --- Where the session lives (Q039-Q042) -------------------------------------------------


@bp.get("/session")
def session_info() -> Response:
    """Count visits in `session` and in `g`, and say where the session is stored.

    The session count grows from request to request; the `g` count is always 1, because
    `g` belongs to the app context, which lives for one request.
    """
    session["visits"] = session.get("visits", 0) + 1
    g.visits = g.get("visits", 0) + 1
    backend = current_app.config["SESSION_BACKEND"]
    return jsonify(
        backend=backend,
        stored_in="cookie" if backend == "cookie" else "server",
        keys=sorted(session.keys()),
        permanent=session.permanent,
        visits={"session": session["visits"], "g": g.visits},
    )
