"""The RealWorld Conduit REST API under /api: one blueprint, thin views (Q080, Q081).

- `schemas` (marshmallow 4) checks every request body and shapes every response;
- `services` does the work and knows nothing about HTTP;
- the route modules (`users`, `profiles`, `articles`, `comments`, `tags`) glue the two
  together in a few lines each. The article resource is a class-based `MethodView`
  (`demo.api.articles.ArticleResource`), everything else plain function views (Q062, Q084).

The blueprint authenticates by header token, not by session cookie, so `create_app` exempts
it from the session CSRF check.
"""

from __future__ import annotations

from flask import Blueprint, Response

from demo.api.errors import register_error_handlers
from demo.auth.tokens import accept_token_scheme

bp = Blueprint("api", __name__, url_prefix="/api")

# Conduit clients send `Authorization: Token <jwt>`; Flask-JWT-Extended reads `Bearer`.
bp.before_request(accept_token_scheme)
register_error_handlers(bp)


@bp.after_request
def declare_utf8(response: Response) -> Response:
    """Say ``application/json; charset=utf-8``, the content type the Conduit spec asks for.

    JSON is UTF-8 by definition (RFC 8259) and the parameter changes nothing for a
    conforming parser; clients that compare the header literally get what they expect.
    """
    if response.mimetype == "application/json":
        response.content_type = "application/json; charset=utf-8"
    return response


def no_content() -> Response:
    """204 with no body and no Content-Type: there is nothing to describe."""
    response = Response(status=204)
    response.headers.remove("Content-Type")
    return response


from demo.api import articles, comments, profiles, tags, users  # noqa: E402,F401  (routes)
from demo.api.docs import routes as docs_routes  # noqa: E402,F401  (/openapi.json, /docs)
