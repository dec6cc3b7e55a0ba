"""What the OpenAPI document says about each view, declared next to the view (Q151).

`@operation(...)` goes directly under the route decorator and records what the code alone
cannot tell: the tag, the request body and query schemas the view loads, the response
schema for each success status, who may call it, and the failures peculiar to it. The
rest is derived when the document is built (`demo.api.docs.spec`): the path and its
parameters from the URL rule, the summary from the docstring, and the failures that follow
from the declaration (a body can be a 415 or a 422, a token a 401, a path parameter a 404).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from marshmallow import Schema

View = TypeVar("View", bound=Callable[..., Any])

_ATTRIBUTE = "openapi_operation"


class Auth(enum.Enum):
    """Whether a view needs the `Authorization: Token <jwt>` header."""

    NONE = "none"
    OPTIONAL = "optional"  # anonymous callers are served; a bad token is still a 401
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class Operation:
    """One view's entry in the document; `responses` maps success statuses to schemas."""

    tag: str
    responses: Mapping[int, type[Schema] | None]
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    auth: Auth = Auth.NONE
    errors: tuple[int, ...] = ()
    conditional: bool = False  # answers with an ETag, and 304 to a matching If-None-Match


class UndocumentedViewError(LookupError):
    """A route of a documented blueprint whose view has no `@operation`."""


def operation(
    *,
    tag: str,
    responses: Mapping[int, type[Schema] | None],
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    auth: Auth = Auth.NONE,
    errors: tuple[int, ...] = (),
    conditional: bool = False,
) -> Callable[[View], View]:
    """Attach an `Operation` to a view function or a `MethodView` method; nothing else."""
    described = Operation(tag, responses, body, query, auth, errors, conditional)

    def attach(view: View) -> View:
        setattr(view, _ATTRIBUTE, described)
        return view

    return attach


def operation_of(handler: Callable[..., Any], where: str) -> Operation:
    """The `Operation` of a view or method; `where` names it in the error if there is none."""
    described = getattr(handler, _ATTRIBUTE, None)
    if not isinstance(described, Operation):
        raise UndocumentedViewError(f"{where} has no @operation(...): document it")
    return described
