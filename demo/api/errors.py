"""How the Conduit API reports failures: one JSON shape for every status (Q149).

- A marshmallow `ValidationError` is a 422. Its nested messages
  (``{"article": {"title": ["can't be blank"]}}``) are flattened to the field names clients
  know (``"title"``), and every message also appears in ``body``, prefixed with its field
  (``"title can't be blank"``): ``body`` is the one key the spec requires.
- A `ServiceError` carries its own status (401, 403, 404, 422) and message, and may name
  what failed beside it (``"article": ["not found"]``, ``"credentials": ["invalid"]``): the
  keys and wording of Conduit's reference implementation, which clients and the RealWorld
  test suites read.
- Anything else (404 for unknown URLs, 405, 415, 500) goes through `demo.errors` as usual.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flask import Blueprint, Response
from marshmallow import ValidationError

from demo.api.services import CredentialsError, ServiceError
from demo.auth.tokens import REALM
from demo.errors import error_response

# marshmallow's key for an error about a whole object rather than one of its fields.
SCHEMA_KEY = "_schema"
ENVELOPES = frozenset({"user", "article", "comment"})


def _leaves(messages: Any, name: str | None = None) -> Iterator[tuple[str | None, str]]:
    """(field, message) pairs; envelope names and list indexes are not field names.

    The field is None for a message about the request body as a whole ("must be a JSON
    object").
    """
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == SCHEMA_KEY or isinstance(key, int):
                child = name  # the object or list item itself: report it on its field
            elif name is None or name in ENVELOPES:
                child = str(key)
            else:
                child = name
            yield from _leaves(value, child)
    elif isinstance(messages, list | tuple):
        for message in messages:
            yield from _leaves(message, name)
    else:
        yield name, str(messages)


def validation_detail(messages: Any) -> dict[str, list[str]]:
    """``{field: [messages]}`` plus ``body``, the summary of them all.

    ``body`` is also a field name (an article's or a comment's text). Its own messages stay
    as they are, first in the list, as under every other field key (``"body": ["can't be
    blank"]``); messages about the request body as a whole and the other fields' messages
    follow, each prefixed with what it is about (``"body must be a JSON object"``, ``"title
    can't be blank"``).
    """
    detail: dict[str, list[str]] = {}
    whole_body: list[str] = []
    for field, message in _leaves(messages):
        if field is None:
            whole_body.append(f"body {message}")
        else:
            detail.setdefault(field, []).append(message)
    summary = [f"{field} {m}" for field in sorted(detail) if field != "body" for m in detail[field]]
    detail["body"] = [*detail.get("body", []), *whole_body, *summary]
    return detail


def invalid_input(error: ValidationError) -> Response:
    """422 for a body or query string the schemas refused."""
    return error_response(422, validation_detail(error.messages))


def refused(error: ServiceError) -> Response:
    """The status the service chose, with its message in the Conduit shape."""
    headers = {}
    if isinstance(error, CredentialsError):
        # A 401 names the scheme to authenticate with (RFC 9110, section 15.5.2).
        headers["WWW-Authenticate"] = f'Token realm="{REALM}"'
    if isinstance(error.detail, Mapping):
        detail = validation_detail(error.detail)
    else:
        detail = {"body": [error.detail]}
    return error_response(error.status, {**detail, **error.keyed}, headers)


def register_error_handlers(bp: Blueprint) -> None:
    """Scoped to the API blueprint: the HTML pages keep the app-wide handlers."""
    bp.register_error_handler(ValidationError, invalid_input)
    bp.register_error_handler(ServiceError, refused)
