"""The article and comment forms: Flask-WTF classes, a custom field and validators (Q160).

`TagListField` is WTForms' documented way to give a field a non-string value: the text
box reads "flask, python testing" and the form's data is ``["flask", "python", "testing"]``,
so the views hand the services the list they expect. `TagRules` is a reusable validator
for that list. The length limits are the JSON API's (`demo.api.schemas.NewArticle`), so
what one front door accepts the other does too. The templates render the submit buttons,
whose text depends on the page ("Publish article", "Save changes").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import Field, Form, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from demo.api.schemas import MAX_TAGS

MAX_TITLE = 255
MAX_DESCRIPTION = 2000
MAX_BODY = 100_000
MAX_COMMENT = 20_000
MAX_TAG_LENGTH = 64  # the `tags.name` column
_TAG_SEPARATORS = re.compile(r"[,\s]+")


def strip(value: str | None) -> str | None:
    """Filter: surrounding spaces are never meant."""
    return value.strip() if isinstance(value, str) else value


def split_tags(text: str) -> list[str]:
    """``"flask, python  flask"`` -> ``["flask", "python"]``: commas or spaces, first wins."""
    return list(dict.fromkeys(name for name in _TAG_SEPARATORS.split(text) if name))


class TagListField(StringField):
    """A text box whose data is a list of tag names, shown back comma-separated."""

    data: list[str]

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        self.data = split_tags(valuelist[0]) if valuelist else []

    def _value(self) -> str:
        return ", ".join(self.data) if self.data else ""


class Storable:
    """No U+0000 anywhere: PostgreSQL text cannot hold it, so the form refuses it (a 422)
    before the database does (a 500). Works on text and on lists of text (the tags)."""

    def __call__(self, form: Form, field: Field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data or ""]
        if any("\x00" in value for value in values):
            raise ValidationError(
                gettext("Remove the NUL character (U+0000): it cannot be stored.")
            )


class TagRules:
    """At most `count` tags, each at most `length` characters long."""

    def __init__(self, count: int = MAX_TAGS, length: int = MAX_TAG_LENGTH) -> None:
        self.count = count
        self.length = length

    def __call__(self, form: Form, field: Field) -> None:
        names = field.data or []
        if len(names) > self.count:
            raise ValidationError(gettext("Use at most %(count)d tags.", count=self.count))
        too_long = [name for name in names if len(name) > self.length]
        if too_long:
            raise ValidationError(
                gettext(
                    "A tag may have at most %(length)d characters: %(tag)s",
                    length=self.length,
                    tag=too_long[0],
                )
            )


class ArticleForm(FlaskForm):
    """Write or edit an article; the body keeps its spacing, the one-line fields do not."""

    title = StringField(
        lazy_gettext("Title"),
        filters=[strip],
        validators=[DataRequired(), Length(max=MAX_TITLE), Storable()],
    )
    description = StringField(
        lazy_gettext("What is it about?"),
        filters=[strip],
        validators=[DataRequired(), Length(max=MAX_DESCRIPTION), Storable()],
    )
    body = TextAreaField(
        lazy_gettext("Article"), validators=[DataRequired(), Length(max=MAX_BODY), Storable()]
    )
    tags = TagListField(
        lazy_gettext("Tags (separated by commas or spaces)"), validators=[Storable(), TagRules()]
    )


class CommentForm(FlaskForm):
    """Comment on an article."""

    body = TextAreaField(
        lazy_gettext("Your comment"),
        validators=[DataRequired(), Length(max=MAX_COMMENT), Storable()],
    )
