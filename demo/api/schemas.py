"""marshmallow 4 schemas: every Conduit request body in, every response out (Q149, Q150).

Loading (deserialising) turns untrusted JSON into checked Python values or raises one
`ValidationError` listing every problem, keyed by field; `demo.api.errors` turns that into
the Conduit 422 body. Dumping (serialising) turns the rows the services return into the
exact Conduit JSON shapes, so no view builds a dict by hand.

- Request schemas `EXCLUDE` unknown keys: a client that sends extra fields (a read-only
  `slug`, a newer client's field) is served, not refused. The fields we do read are strict.
- Messages follow the wording of Conduit's reference implementation ("can't be blank"); the
  field name is added when the messages are flattened into the error body.
- marshmallow 4 dropped `Schema.context`: what a dump needs beyond the object (the token, the
  viewer's flags) is computed by the service and passed in as part of the object.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_dump,
    validate,
)

from demo.auth.passwords import MAX_PASSWORD_BYTES
from demo.data.articles import DEFAULT_LIMIT, MAX_LIMIT

BLANK = "can't be blank"
# Far beyond any real page; it keeps OFFSET inside a 32-bit integer on every database.
MAX_OFFSET = 2**31 - 1
MIN_PASSWORD_LENGTH = 8
MAX_TAGS = 20


class MaxLength(validate.Length):
    """`Length` that lets None through: optional fields are None when left empty."""

    def __call__(self, value: Any) -> Any:
        return value if value is None else super().__call__(value)


def _too_long(maximum: int, unit: str = "characters") -> validate.Length:
    return MaxLength(max=maximum, error=f"is too long (maximum is {maximum} {unit})")


def _blank_check() -> validate.Length:
    # Documents minLength 1. `Text` refuses blank values earlier, in `_deserialize`; for a
    # password, which keeps its spaces, this is what refuses the empty string.
    return validate.Length(min=1, error=BLANK)


def _storable(value: str | None) -> None:
    """PostgreSQL text cannot hold U+0000: refused here as a 422, not by the database as a 500."""
    if value is not None and "\x00" in value:
        raise ValidationError("must not contain NUL characters")


STRING_ERRORS = {"required": BLANK, "null": BLANK, "invalid": "must be a string"}


class Text(fields.String):
    """A string that may not be blank (Conduit's "can't be blank"), trimmed by default."""

    default_error_messages: ClassVar[dict[str, str]] = STRING_ERRORS

    def __init__(
        self,
        *,
        max_length: int,
        trim: bool = True,
        validate: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.trim = trim
        validators = [_blank_check(), _too_long(max_length), _storable, *(validate or [])]
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        # Whitespace-only is blank even where whitespace is kept (an article body's indents);
        # refused here, so a blank value gets one message, not one per validator.
        if not text.strip():
            raise self.make_error("required")
        return text.strip() if self.trim else text


class OptionalText(fields.String):
    """A string that may be null or empty, stored as None then (a bio, an image URL)."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "must be a string"}

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(allow_none=True, validate=[_too_long(max_length), _storable], **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        return text or None


class ImageUrl(OptionalText):
    """An absolute http(s) URL or nothing: other users' browsers load it."""

    _is_web_url = validate.URL(
        relative=False, schemes={"http", "https"}, require_tld=False, error="must be an http(s) URL"
    )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        url = super()._deserialize(value, attr, data, **kwargs)
        return self._is_web_url(url) if url is not None else None


class EmailAddress(fields.Email):
    """An e-mail address, trimmed before it is checked (the model lower-cases it)."""

    default_error_messages: ClassVar[dict[str, str]] = {**STRING_ERRORS, "invalid": "is invalid"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=_too_long(254), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise self.make_error("required")
        return super()._deserialize(value, attr, data, **kwargs)


class UtcTimestamp(fields.DateTime):
    """ISO 8601 in UTC with milliseconds and ``Z``: ``2016-02-18T03:22:56.637Z``."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fits_bcrypt(password: str) -> None:
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ValidationError(f"is too long (maximum is {MAX_PASSWORD_BYTES} bytes)")


class MinLength(validate.Length):
    """`Length` that leaves the empty string to the blank check: one message per problem."""

    def __call__(self, value: Any) -> Any:
        return value if value == "" else super().__call__(value)


def _new_password(**kwargs: Any) -> fields.String:
    too_short = f"is too short (minimum is {MIN_PASSWORD_LENGTH} characters)"
    return fields.String(
        validate=[
            _blank_check(),
            MinLength(min=MIN_PASSWORD_LENGTH, error=too_short),
            _fits_bcrypt,
        ],
        error_messages=STRING_ERRORS,
        **kwargs,
    )


def _username(**kwargs: Any) -> Text:
    # Usernames appear in URLs (/api/profiles/<username>): no slashes, spaces or punctuation.
    allowed = validate.Regexp(
        r"^[\w.-]+$", error="can only contain letters, digits, '.', '_' and '-'"
    )
    return Text(max_length=64, validate=[allowed], **kwargs)


def _tag_list() -> fields.List:
    # Optional, but a list when present: the spec types it as an array, so `null` is refused
    # (422) rather than guessed at; `[]` clears the tags, leaving it out keeps them.
    not_a_list = "must be a list of strings"
    return fields.List(
        Text(max_length=64),
        data_key="tagList",
        validate=_too_long(MAX_TAGS, "tags"),
        error_messages={"invalid": not_a_list, "null": not_a_list},
    )


def _envelope(inner: type[Schema]) -> fields.Nested:
    return fields.Nested(inner, required=True, error_messages={"required": BLANK, "null": BLANK})


class RequestSchema(Schema):
    """Base for request bodies: unknown keys are dropped, not refused."""

    error_messages: ClassVar[dict[str, str]] = {"type": "must be a JSON object"}

    class Meta:
        unknown = EXCLUDE


# --- Requests --------------------------------------------------------------------------


# The OpenAPI document's examples (Swagger UI fills "Try it out" with them): register this
# user, then log in as them.
EXAMPLE_USER = {"username": "jake", "email": "jake@example.com", "password": "jakejake-secret"}
PASSWORD_EXAMPLE = {"format": "password", "example": EXAMPLE_USER["password"]}


class LoginUser(RequestSchema):
    email = EmailAddress(required=True, metadata={"example": EXAMPLE_USER["email"]})
    # Not the new-password policy: a login only compares, whatever the policy was back then.
    password = fields.String(
        required=True,
        validate=_blank_check(),
        error_messages=STRING_ERRORS,
        metadata=PASSWORD_EXAMPLE,
    )


class NewUser(RequestSchema):
    username = _username(required=True, metadata={"example": EXAMPLE_USER["username"]})
    email = EmailAddress(required=True, metadata={"example": EXAMPLE_USER["email"]})
    password = _new_password(required=True, metadata=PASSWORD_EXAMPLE)


class UpdateUser(RequestSchema):
    email = EmailAddress()
    username = _username()
    password = _new_password()
    bio = OptionalText(max_length=2000)
    image = ImageUrl(max_length=2048)

    @post_load
    def at_least_one_field(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if not data:
            raise ValidationError("must contain at least one field", field_name="user")
        return data


class NewArticle(RequestSchema):
    title = Text(max_length=255, required=True)
    description = Text(max_length=2000, required=True)
    body = Text(max_length=100_000, trim=False, required=True)
    tag_list = _tag_list()


class UpdateArticle(RequestSchema):
    title = Text(max_length=255)
    description = Text(max_length=2000)
    body = Text(max_length=100_000, trim=False)
    # Not in the Conduit spec's UpdateArticle, but sent by its editor pages: accepted.
    tag_list = _tag_list()


class NewComment(RequestSchema):
    body = Text(max_length=20_000, trim=False, required=True)


class LoginRequest(RequestSchema):
    user = _envelope(LoginUser)


class NewUserRequest(RequestSchema):
    user = _envelope(NewUser)


class UpdateUserRequest(RequestSchema):
    user = _envelope(UpdateUser)


class NewArticleRequest(RequestSchema):
    article = _envelope(NewArticle)


class UpdateArticleRequest(RequestSchema):
    article = _envelope(UpdateArticle)


class NewCommentRequest(RequestSchema):
    comment = _envelope(NewComment)


class PageQuery(RequestSchema):
    """`?limit=` and `?offset=` (the feed takes only these).

    Below the spec's minimums (`limit` >= 1, `offset` >= 0) or not an integer: 422. Above
    `MAX_LIMIT`: clamped, because the spec sets no maximum, so a large limit is a valid
    request that gets the largest page we serve.
    """

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, error="must be at least {min}"),
        error_messages={"invalid": "must be an integer"},
    )
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, error="must be at least {min}"),
        error_messages={"invalid": "must be an integer"},
    )

    @post_load
    def clamp(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["limit"] = min(data["limit"], MAX_LIMIT)
        data["offset"] = min(data["offset"], MAX_OFFSET)
        return data


class ArticleListQuery(PageQuery):
    """`GET /api/articles`: the filters (usernames and a tag name) and the page."""

    tag = fields.String(validate=_storable)
    author = fields.String(validate=_storable)
    favorited = fields.String(validate=_storable)


# --- Responses -------------------------------------------------------------------------


class Envelope(Schema):
    """Conduit wraps one object in a named key (``{"article": {...}}``): views pass the
    bare object and this adds the key, the schema's only field."""

    @pre_dump
    def wrap(self, obj: Any, **_kwargs: Any) -> dict[str, Any]:
        (key,) = self.dump_fields
        return {key: obj}


class User(Schema):
    """The signed-in user, with a token; dumps a `SignedInUser`."""

    email = fields.String(attribute="user.email", required=True)
    token = fields.String(required=True)
    username = fields.String(attribute="user.username", required=True)
    bio = fields.String(attribute="user.bio", allow_none=True, required=True)
    image = fields.String(attribute="user.image", allow_none=True, required=True)


class Profile(Schema):
    """Any user as the viewer sees them; dumps a `ProfileRow`."""

    username = fields.String(attribute="user.username", required=True)
    bio = fields.String(attribute="user.bio", allow_none=True, required=True)
    image = fields.String(attribute="user.image", allow_none=True, required=True)
    following = fields.Boolean(required=True)


class Article(Schema):
    """One article for one viewer; dumps an `ArticleRow`."""

    slug = fields.String(attribute="article.slug", required=True)
    title = fields.String(attribute="article.title", required=True)
    description = fields.String(attribute="article.description", required=True)
    body = fields.String(attribute="article.body", required=True)
    tag_list = fields.List(
        fields.String(), attribute="tag_names", data_key="tagList", required=True
    )
    created_at = UtcTimestamp(attribute="article.created_at", data_key="createdAt", required=True)
    updated_at = UtcTimestamp(attribute="article.updated_at", data_key="updatedAt", required=True)
    favorited = fields.Boolean(required=True)
    favorites_count = fields.Integer(data_key="favoritesCount", required=True)
    author = fields.Nested(Profile, required=True)


class ArticleSummary(Article):
    """An article in a list: everything but the body (Conduit lists dropped it in 2024)."""

    class Meta:
        exclude = ("body",)


class Comment(Schema):
    """One comment; dumps a `CommentRow`."""

    id = fields.Integer(attribute="comment.id", required=True)
    created_at = UtcTimestamp(attribute="comment.created_at", data_key="createdAt", required=True)
    updated_at = UtcTimestamp(attribute="comment.updated_at", data_key="updatedAt", required=True)
    body = fields.String(attribute="comment.body", required=True)
    author = fields.Nested(Profile, required=True)


class UserResponse(Envelope):
    user = fields.Nested(User, required=True)


class ProfileResponse(Envelope):
    profile = fields.Nested(Profile, required=True)


class SingleArticleResponse(Envelope):
    article = fields.Nested(Article, required=True)


class MultipleArticlesResponse(Schema):
    """A page of articles and the number of matches on all pages."""

    articles = fields.List(fields.Nested(ArticleSummary), attribute="rows", required=True)
    articles_count = fields.Integer(attribute="total", data_key="articlesCount", required=True)


class SingleCommentResponse(Envelope):
    comment = fields.Nested(Comment, required=True)


class MultipleCommentsResponse(Envelope):
    comments = fields.List(fields.Nested(Comment), required=True)


class TagsResponse(Envelope):
    tags = fields.List(fields.String(), required=True)


class ErrorMessages(Schema):
    """``body``, every message for display, and one list of messages per invalid field."""

    body = fields.List(fields.String(), required=True)

    class Meta:
        unknown = INCLUDE  # documents the per-field keys ("title", "email") beside `body`


class GenericErrorModel(Schema):
    """Every API failure: ``{"errors": {"body": [...], <field>: [...]}}``.

    Built by `demo.errors.error_body`; this schema describes it in the OpenAPI document,
    where the schemathesis run checks real error answers against it.
    """

    errors = fields.Nested(ErrorMessages, required=True)
