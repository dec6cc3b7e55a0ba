"""Validation of what clients send over Socket.IO (Q125).

Events arrive as arbitrary JSON from arbitrary clients, exactly like request bodies, so
they get the same treatment: a marshmallow schema per event, unknown keys refused, and
text normalised before it is checked (a message of spaces is an empty message).
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_SLUG_LENGTH = 255
MAX_MESSAGE_LENGTH = 1000


class RoomSchema(Schema):
    """`join` and `leave`: which article's room."""

    class Meta:
        unknown = RAISE

    slug = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=MAX_SLUG_LENGTH),
            validate.Regexp(SLUG_PATTERN, error="Not an article slug."),
        ],
    )


class MessageSchema(RoomSchema):
    """`message`: a line of chat for one article's room."""

    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_MESSAGE_LENGTH))

    @pre_load
    def _strip_text(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            return {**data, "text": data["text"].strip()}
        return data


def load(schema: Schema, payload: Any) -> dict[str, Any]:
    """Validated data, or `ValidationError` (also for a payload that is not an object)."""
    if not isinstance(payload, dict):
        raise ValidationError({"_schema": ["Expected a JSON object."]})
    return schema.load(payload)
