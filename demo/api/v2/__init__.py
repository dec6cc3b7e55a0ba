"""API version 2 under /api/v2, beside the untouched Conduit API (v1) under /api (Q126).

The version is in the URL: a second blueprint, `api_v2`, with its own views and schemas, over
the same services, data layer, authentication, caching, rate limit and error handlers as v1.
Only the edge differs:

- lists page by keyset cursor instead of offset, and answer
  ``{"data": [...], "links": {"self": ..., "next": ... | null}, "meta": {"count": n}}``
  (`demo.api.v2.schemas`);
- every v2 response says ``API-Version: 2``; v1 answers exactly as the Conduit spec says.

Links are root-relative (``/api/v2/articles?...``), never built from the request's Host
header: cached pages are shared between callers, and an absolute URL would let one request
with a forged Host plant links to another site in everyone's cached page.
"""

from __future__ import annotations

from flask import Blueprint, Response

from demo.api.errors import register_error_handlers
from demo.auth.tokens import accept_token_scheme

VERSION = "2"
VERSION_HEADER = "API-Version"

bp = Blueprint("api_v2", __name__, url_prefix="/api/v2")

# The same credentials as v1: `Authorization: Token <jwt>` or `Bearer <jwt>`.
bp.before_request(accept_token_scheme)
# The same JSON error shape as v1: a bad cursor or limit is a 422 a v1 client can parse.
register_error_handlers(bp)


@bp.after_request
def declare_version(response: Response) -> Response:
    """Name the version on every v2 answer, errors included, so logs and clients can tell."""
    response.headers[VERSION_HEADER] = VERSION
    return response


from demo.api.v2 import articles  # noqa: E402,F401  (routes)
