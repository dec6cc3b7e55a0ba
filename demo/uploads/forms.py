"""The upload forms: Flask-WTF file fields with CSRF protection (Q099, Q101).

`FileRequired`/`FileAllowed` give the browser user a quick, friendly first answer; they
read the client's file name as sent, so they are not the security check. The service
(`demo.uploads.validation`) judges the name after `secure_filename` and the bytes by
their signature, whatever the form said.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField

from demo.uploads.validation import ALL_EXTENSIONS, IMAGE_EXTENSIONS


def _bare(extensions: frozenset[str]) -> list[str]:
    # FileAllowed wants "png", not ".png".
    return sorted(ext.lstrip(".") for ext in extensions)


class AvatarForm(FlaskForm):
    """Upload a new avatar image."""

    file = FileField(
        "Avatar image",
        validators=[
            FileRequired("Choose an image to upload."),
            FileAllowed(_bare(IMAGE_EXTENSIONS), "Avatars must be PNG, JPEG, GIF or WebP."),
        ],
    )


class AttachmentForm(FlaskForm):
    """Attach a file to one of the user's own articles (the view fills in the choices)."""

    article = SelectField("Article", coerce=int)
    file = FileField(
        "File",
        validators=[
            FileRequired("Choose a file to upload."),
            FileAllowed(_bare(ALL_EXTENSIONS), "This type of file is not accepted."),
        ],
    )
