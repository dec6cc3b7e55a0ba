"""Build the OpenAPI 3 document of one blueprint from its URL rules and schemas (Q151).

apispec writes the document and its `MarshmallowPlugin` turns the marshmallow schemas that
already check every request and shape every response (`demo.api.schemas`) into the JSON
Schemas under ``components/schemas``: the document cannot drift from what the views load
and dump, because it is made from the same classes.

The paths come from Flask's own URL map, walked here in a few lines, rather than from
apispec-webframeworks' Flask plugin. That plugin only turns one view's rule into a path
string and reads the rest as YAML from the docstring: every path parameter would still be
typed out by hand, YAML would become a runtime dependency, and nothing would notice a
route without documentation. The URL map knows every rule of the blueprint, its methods
and its converters, so path parameters get their types and limits from the converters
(``<int(max=...):comment_id>`` becomes an integer with a maximum), and a view without an
`@operation` stops the build instead of silently missing from the document.

`openapi_document(app, "api", ...)` documents the Conduit blueprint; any other blueprint
whose views carry `@operation` is documented the same way under its own name.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from werkzeug.routing import BaseConverter, Rule
from werkzeug.routing.converters import NumberConverter

from demo.api.docs.operations import Auth, Operation, UndocumentedViewError, operation_of
from demo.api.schemas import GenericErrorModel

# Swagger UI 4 (the `swagger-ui-bundle` package) reads OpenAPI 3.0; 3.1 needs Swagger UI 5.
OPENAPI_VERSION = "3.0.3"
JSON = "application/json"
AUTH_SCHEME = "Token"
AUTH_HELP = (
    "A JWT in the `Authorization` header: `Token <jwt>` (Conduit's spelling) or "
    "`Bearer <jwt>`. `POST /api/users` and `POST /api/users/login` return one in "
    "`user.token`. In the Authorize dialog, enter `Token ` followed by the JWT."
)
# Methods Flask adds to every rule by itself; they are not operations of the API.
AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})
# Top-level keys in the order a person reads them (apispec starts with `paths`).
READING_ORDER = ("openapi", "info", "tags", "paths", "components")
_VARIABLE = re.compile(r"<(?:[^<>]*:)?([A-Za-z_]\w*)>")

# status: (component name, description, headers)
ERRORS: dict[int, tuple[str, str, dict[str, Any]]] = {
    401: (
        "Unauthorized",
        "No valid credentials: a missing, malformed, expired or revoked token, or a wrong "
        "e-mail and password at login.",
        {"WWW-Authenticate": {"description": "The scheme to use", "schema": {"type": "string"}}},
    ),
    403: ("Forbidden", "Signed in, but only the author may do this.", {}),
    404: ("NotFound", "No such article, profile or comment.", {}),
    415: ("UnsupportedMediaType", "The body was not sent as `application/json`.", {}),
    422: (
        "UnprocessableEntity",
        "The input was refused: each invalid field lists its messages, and `body` lists "
        "them all, prefixed with the field name.",
        {},
    ),
    429: (
        "TooManyRequests",
        "Over the caller's request budget for the API.",
        {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    ),
}
NOT_MODIFIED = {"description": "Not Modified: the `If-None-Match` ETag is still current."}
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "description": "An ETag from an earlier answer: 304 with no body if it is still current.",
    "schema": {"type": "string"},
}
ETAG = {"ETag": {"description": "The body's version", "schema": {"type": "string"}}}


def openapi_document(
    app: Flask, blueprint: str, *, title: str, version: str, description: str = ""
) -> dict[str, Any]:
    """The OpenAPI document of every route of `blueprint` (its own, not its children's)."""
    spec = APISpec(
        title=title,
        version=version,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": description} if description else {},
    )
    spec.components.security_scheme(
        AUTH_SCHEME,
        {"type": "apiKey", "in": "header", "name": "Authorization", "description": AUTH_HELP},
    )
    for name, text, headers in ERRORS.values():
        content = {JSON: {"schema": GenericErrorModel}}
        spec.components.response(
            name, {"description": text, "content": content, **_headers(headers)}
        )

    rules = [rule for rule in app.url_map.iter_rules() if _blueprint_of(rule) == blueprint]
    if not rules:
        raise LookupError(f"no routes registered for blueprint {blueprint!r}")
    tags: set[str] = set()
    for path, path_rules in _by_path(rules).items():
        operations = {}
        for rule in path_rules:
            view = app.view_functions[rule.endpoint]
            for method in sorted(rule.methods - AUTOMATIC_METHODS):
                handler, operation_id = _handler(view, method, rule.endpoint)
                described = operation_of(handler, where=f"{method} {rule.rule}")
                operations[method.lower()] = _operation(rule, handler, operation_id, described)
                tags.add(described.tag)
        spec.path(path=path, operations=operations, parameters=_path_parameters(path_rules[0]))
    for tag in sorted(tags):
        spec.tag({"name": tag})
    document = spec.to_dict()
    return {**{key: document[key] for key in READING_ORDER if key in document}, **document}


def _blueprint_of(rule: Rule) -> str:
    return rule.endpoint.rpartition(".")[0]


def _by_path(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    """Rules grouped by OpenAPI path (``/api/user`` has one rule for GET, one for PUT)."""
    grouped: dict[str, list[Rule]] = {}
    for rule in sorted(rules, key=lambda rule: rule.rule):
        grouped.setdefault(_VARIABLE.sub(r"{\1}", rule.rule), []).append(rule)
    return grouped


def _handler(view: Callable[..., Any], method: str, endpoint: str) -> tuple[Callable, str]:
    """The function that serves `method`, and its operationId.

    A `MethodView` has one handler per method (`get`, `put` ...); its id is the method
    and the endpoint (``get_article``). A function view is its own handler and id.
    """
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view, view.__name__
    return getattr(view_class, method.lower()), f"{method.lower()}_{endpoint.rpartition('.')[2]}"


def _operation(
    rule: Rule, handler: Callable[..., Any], operation_id: str, described: Operation
) -> dict[str, Any]:
    summary, _, details = (inspect.getdoc(handler) or "").partition("\n\n")
    if not summary:
        raise UndocumentedViewError(
            f"{operation_id} has no docstring: its first line is the summary"
        )
    operation: dict[str, Any] = {
        "tags": [described.tag],
        "summary": " ".join(summary.split()),
        "operationId": operation_id,
        "responses": _responses(rule, described),
    }
    if details:
        operation["description"] = details
    parameters: list[dict[str, Any]] = []
    if described.query is not None:
        # The plugin expands a schema `in: query` into one parameter per field.
        parameters.append({"in": "query", "schema": described.query})
    if described.conditional:
        parameters.append(IF_NONE_MATCH)
    if parameters:
        operation["parameters"] = parameters
    if described.body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": described.body}}}
    if described.auth is Auth.REQUIRED:
        operation["security"] = [{AUTH_SCHEME: []}]
    elif described.auth is Auth.OPTIONAL:
        operation["security"] = [{}, {AUTH_SCHEME: []}]  # `{}`: no credentials at all
    return operation


def _responses(rule: Rule, described: Operation) -> dict[Any, Any]:
    """Success answers as declared, then every failure the declaration implies."""
    responses: dict[Any, Any] = {}
    for status, schema in described.responses.items():
        response: dict[str, Any] = {"description": HTTPStatus(status).phrase}
        if schema is not None:
            response["content"] = {JSON: {"schema": schema}}
        if described.conditional and status == HTTPStatus.OK:
            response["headers"] = ETAG
        responses[status] = response
    if described.conditional:
        responses[HTTPStatus.NOT_MODIFIED] = NOT_MODIFIED
    statuses = {429, *described.errors}
    if described.auth is not Auth.NONE:
        statuses.add(401)  # optional auth still refuses a token it cannot verify
    if rule.arguments:
        statuses.add(404)
    if described.body is not None:
        statuses.update((415, 422))
    if described.query is not None:
        statuses.add(422)
    for status in sorted(statuses):
        responses[status] = ERRORS[status][0]  # apispec turns the name into a $ref
    return responses


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    # Werkzeug keeps a compiled rule's converters in `_converters` and has no public accessor.
    converters: dict[str, BaseConverter] = rule._converters
    return [
        {"in": "path", "name": name, "required": True, "schema": _converter_schema(converter)}
        for name, converter in converters.items()
    ]


def _converter_schema(converter: BaseConverter) -> dict[str, Any]:
    """What a URL converter accepts, as a JSON Schema."""
    if isinstance(converter, NumberConverter):
        schema: dict[str, Any] = {"type": "integer" if converter.num_convert is int else "number"}
        minimum = converter.min if converter.min is not None or converter.signed else 0
        if minimum is not None:
            schema["minimum"] = minimum
        if converter.max is not None:
            schema["maximum"] = converter.max
        return schema
    return {"type": "string", "pattern": f"^(?:{converter.regex})$"}


def _headers(headers: dict[str, Any]) -> dict[str, Any]:
    return {"headers": headers} if headers else {}
