"""Read a request's JSON body or query string through a schema (Q149).

- Not declared as JSON (`Content-Type` other than ``application/json`` or ``...+json``): 415,
  since the client sent a format this API does not read; fix the header, not the data.
- Declared as JSON but not parseable, or not an object: 422, like any other invalid body,
  with the Conduit error shape.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from marshmallow import Schema, ValidationError


def load_body(schema: Schema) -> dict[str, Any]:
    """The request's JSON object, checked by `schema`; raises ValidationError (422) or 415."""
    if not request.is_json:
        abort(415, "Send the request body as JSON with Content-Type: application/json.")
    payload = request.get_json(silent=True)
    if payload is None:
        raise ValidationError("is not valid JSON", field_name="body")
    return schema.load(payload)


def load_query(schema: Schema) -> dict[str, Any]:
    """The query string checked by `schema` (the first value of a repeated parameter)."""
    return schema.load(request.args.to_dict(flat=True))
