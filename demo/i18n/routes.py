"""The language page: choose the language of the pages, see dates and numbers in it (Q159).

One form, for everyone: an anonymous visitor's choice is kept in the session, a logged-in
user's is also saved on the account (`User.locale`), so it follows them to other devices.
"Automatic" forgets the choice, and the browser's ``Accept-Language`` decides again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask import flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext, lazy_gettext, refresh
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice

from demo.auth.login import safe_next_url
from demo.extensions import db
from demo.i18n import bp
from demo.i18n.locale import SESSION_KEY, language_name, supported_locales

# Shown in each language's formats: a grouping separator and a decimal mark to tell apart.
SAMPLE_NUMBER = Decimal("1234.5")
SAMPLE_SHARE = Decimal("0.256")


class LanguageForm(FlaskForm):
    """One radio button per language in `LANGUAGES`, plus "automatic" (the empty value)."""

    locale = RadioField(lazy_gettext("Language"))
    next = HiddenField()
    submit = SubmitField(lazy_gettext("Save"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = [
            SelectChoice("", gettext("Automatic: the language of my browser")),
            *(SelectChoice(code, language_name(code)) for code in supported_locales()),
        ]


def saved_choice() -> str:
    """The language chosen by hand for this user or browser, "" for automatic."""
    if current_user.is_authenticated:
        return current_user.locale or ""
    return session.get(SESSION_KEY) or ""


def remember_choice(code: str | None) -> None:
    """Keep the choice in the session and, for a logged-in user, on the account."""
    if code:
        session[SESSION_KEY] = code
    else:
        session.pop(SESSION_KEY, None)
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()


@bp.route("/language", methods=["GET", "POST"])
def language() -> ResponseReturnValue:
    """Show the choice and the formats of the current language; save a new choice on POST."""
    form = LanguageForm()
    if form.validate_on_submit():
        code = form.locale.data or None
        remember_choice(code)
        refresh()  # the flash message below is then already in the new language
        if code:
            flash(gettext("The pages are now shown in %(language)s.", language=language_name(code)))
        else:
            flash(gettext("The pages now follow the language of your browser."))
        return redirect(safe_next_url(form.next.data) or url_for(".language"), 303)
    if request.method == "GET":
        form.locale.data = saved_choice()
        form.next.data = safe_next_url(request.args.get("next")) or ""
    get_locale()  # runs the selector, which notes where the locale came from
    page = render_template(
        "i18n/language.html",
        form=form,
        source=g.get("locale_source"),
        now=datetime.now(UTC),
        sample_number=SAMPLE_NUMBER,
        sample_share=SAMPLE_SHARE,
    )
    return page, 422 if form.errors else 200
