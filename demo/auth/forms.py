"""The account forms: Flask-WTF classes with WTForms validators (Q033, Q061, Q097, Q130, Q160).

`FlaskForm` reads `request.form` by itself, adds a signed `csrf_token` field and validates
it, and `validate_on_submit()` is ``POST and valid``. Two kinds of custom validator appear:

- reusable validator objects (`MaxUtf8Bytes`, `HttpsUrl`, `NotSameAs`): callables taking
  ``(form, field)`` and raising `ValidationError`, usable on any field of any form;
- inline ``validate_<fieldname>`` methods, which WTForms calls after the field's own
  validators; they suit checks that need this form's context, such as "is this username
  taken by someone other than the user editing the profile".

The uniqueness checks give a friendly message early; the database's unique constraints
still decide under concurrency (see `demo.auth.services.AccountTakenError`).

Labels and messages are translated (Q159): `lazy_gettext` for those defined at import time,
when no request says which language to use, `gettext` inside validators, which run during
one. WTForms' own messages ("This field is required.") come translated from WTForms'
catalogs through Flask-WTF.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    Form,
    PasswordField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from demo.auth.passwords import MAX_PASSWORD_BYTES, verify_password
from demo.auth.services import is_taken

MIN_PASSWORD_LENGTH = 8
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
SAME_AS_NAME = lazy_gettext("Choose a password that is not your username or e-mail address.")


def strip(value: str | None) -> str | None:
    """Filter: surrounding spaces are never meant."""
    return value.strip() if isinstance(value, str) else value


def normalise_email(value: str | None) -> str | None:
    """Filter: one spelling per address, as the database stores it."""
    return value.strip().lower() if isinstance(value, str) else value


class MaxUtf8Bytes:
    """The value may be at most `limit` bytes in UTF-8, bcrypt's real limit (Q047).

    `Length` counts characters; "é" is one character but two bytes, and an emoji four.
    """

    def __init__(self, limit: int = MAX_PASSWORD_BYTES) -> None:
        self.limit = limit

    def __call__(self, form: Form, field: Field) -> None:
        size = len((field.data or "").encode("utf-8"))
        if size > self.limit:
            raise ValidationError(
                gettext(
                    "Use at most %(limit)d bytes (this is %(size)d; accented letters and "
                    "emoji count as 2-4 bytes each).",
                    limit=self.limit,
                    size=size,
                )
            )


class NotSameAs:
    """The value must differ (case-insensitively) from each of the named fields."""

    def __init__(self, *field_names: str, message: str | LazyString) -> None:
        self.field_names = field_names
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        value = (field.data or "").casefold()
        for name in self.field_names:
            other = form[name].data if name in form else None
            if other and value == other.casefold():
                raise ValidationError(self.message)


class HttpsUrl:
    """An absolute https:// URL with a host: other schemes (``javascript:``) never pass."""

    def __call__(self, form: Form, field: Field) -> None:
        parts = urlsplit(field.data or "")
        if parts.scheme != "https" or not parts.hostname:
            raise ValidationError(gettext("Enter a full https:// address."))


def _username_field() -> StringField:
    return StringField(
        lazy_gettext("Username"),
        filters=[strip],
        validators=[
            DataRequired(),
            Length(min=3, max=64),
            Regexp(
                USERNAME_PATTERN,
                message=lazy_gettext("Use letters, digits, '.', '_' or '-' only."),
            ),
        ],
    )


def _email_field() -> EmailField:
    return EmailField(
        lazy_gettext("E-mail"),
        filters=[normalise_email],
        validators=[DataRequired(), Email(), Length(max=254)],
    )


def _new_password_field(label: LazyString, *extra: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH, message=lazy_gettext("Use at least %(min)d characters.")
            ),
            MaxUtf8Bytes(),
            *extra,
        ],
    )


class _UniqueAccountMixin:
    """Inline validators shared by the registration and profile forms."""

    @staticmethod
    def _taken(field: Field) -> bool:
        # On the profile form the user's own name and address do not count as taken.
        owner = current_user if current_user.is_authenticated else None
        return is_taken(field.name, field.data, exclude=owner)

    def validate_username(self, field: Field) -> None:
        """WTForms calls ``validate_<field>`` methods after the field's own validators."""
        if self._taken(field):
            raise ValidationError(gettext("That username is taken."))

    def validate_email(self, field: Field) -> None:
        if self._taken(field):
            raise ValidationError(gettext("An account with this e-mail address already exists."))


class RegistrationForm(_UniqueAccountMixin, FlaskForm):
    """Sign up: username, e-mail, password twice."""

    username = _username_field()
    email = _email_field()
    password = _new_password_field(
        lazy_gettext("Password"),
        NotSameAs("username", "email", message=SAME_AS_NAME),
    )
    confirm = PasswordField(
        lazy_gettext("Repeat the password"),
        validators=[
            InputRequired(),
            EqualTo("password", message=lazy_gettext("The passwords do not match.")),
        ],
    )
    submit = SubmitField(lazy_gettext("Create account"))


class LoginForm(FlaskForm):
    """Log in. No length rules here: they would tell an attacker what passwords can exist."""

    email = EmailField(
        lazy_gettext("E-mail"), filters=[normalise_email], validators=[DataRequired()]
    )
    password = PasswordField(lazy_gettext("Password"), validators=[InputRequired()])
    remember = BooleanField(lazy_gettext("Remember me on this device"))
    submit = SubmitField(lazy_gettext("Log in"))


class ProfileForm(_UniqueAccountMixin, FlaskForm):
    """Edit the public profile; keeping one's own username or e-mail is of course allowed."""

    username = _username_field()
    email = _email_field()
    bio = TextAreaField(
        lazy_gettext("Bio"), filters=[strip], validators=[Optional(), Length(max=2000)]
    )
    image = URLField(
        lazy_gettext("Picture URL"),
        filters=[strip],
        validators=[Optional(), Length(max=2048), HttpsUrl()],
    )
    submit = SubmitField(lazy_gettext("Save profile"))


class ChangePasswordForm(FlaskForm):
    """Change the password: proves the current one, then ends every other session (Q145)."""

    current_password = PasswordField(lazy_gettext("Current password"), validators=[InputRequired()])
    new_password = _new_password_field(lazy_gettext("New password"))
    confirm = PasswordField(
        lazy_gettext("Repeat the new password"),
        validators=[
            InputRequired(),
            EqualTo("new_password", message=lazy_gettext("The passwords do not match.")),
        ],
    )
    submit = SubmitField(lazy_gettext("Change password"))

    def validate_current_password(self, field: Field) -> None:
        if not verify_password(field.data, current_user.password_hash):
            raise ValidationError(gettext("That is not your current password."))

    def validate_new_password(self, field: Field) -> None:
        if field.data == self.current_password.data:
            raise ValidationError(gettext("The new password must differ from the current one."))
        names = (current_user.username, current_user.email)
        if field.data.casefold() in {name.casefold() for name in names}:
            raise ValidationError(SAME_AS_NAME)
