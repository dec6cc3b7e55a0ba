"""v2 article views: the list by cursor and one article, over v1's services (Q126).

Each view is v1's with a different schema: the same decorators (`auth_optional`,
`cached_response`, `conditional`) and the same service layer, so both versions see the
same data, the same permissions and the same cache invalidation. The cache key is the
request path, so v2 pages are entries of their own, and the list version every write bumps
(`demo.api.caching.invalidate_article_lists`) is part of every key: a write drops v1 and v2
pages alike.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, url_for

from demo.api import services
from demo.api.caching import cached_response, conditional
from demo.api.docs.operations import Auth, operation
from demo.api.docs.spec import openapi_document
from demo.api.parsing import load_query
from demo.api.security import auth_optional, viewer
from demo.api.v2 import bp
from demo.api.v2.schemas import (
    ArticleList,
    ArticleListQuery,
    ArticleListResponse,
    SingleArticleResponse,
)

article_response = SingleArticleResponse()
list_response = ArticleListResponse()


def _list_url(query: dict[str, Any], after: str | None) -> str:
    """This list's URL with the same filters and limit, starting after `after`."""
    params = {name: value for name, value in query.items() if name != "after"}
    if after is not None:
        params["after"] = after
    return url_for("api_v2.list_articles", **params)


@bp.get("/articles")
@operation(
    tag="Articles",
    auth=Auth.OPTIONAL,
    query=ArticleListQuery,
    responses={200: ArticleListResponse},
    conditional=True,
)
@auth_optional
@cached_response(per_user=True)
def list_articles() -> dict[str, Any]:
    """Newest first; ?tag=, ?author=, ?favorited=, ?limit= (default 20), ?after=<cursor>."""
    query = load_query(ArticleListQuery())
    page = services.list_articles_after(viewer(), **query)
    next_url = _list_url(query, page.next_cursor) if page.next_cursor is not None else None
    links = {"self": _list_url(query, query.get("after")), "next": next_url}
    return list_response.dump(ArticleList(page.rows, links))


@bp.get("/articles/<slug>")
@operation(
    tag="Articles", auth=Auth.OPTIONAL, responses={200: SingleArticleResponse}, conditional=True
)
@auth_optional
@conditional
def article(slug: str) -> dict[str, Any]:
    """One article with its body; 404 in the API's error shape when there is none."""
    return article_response.dump(services.get_article(slug, viewer()))


# Nested (``api_v2.docs``) so the document describes the API's routes, not itself.
docs_bp = Blueprint("docs", __name__)


@docs_bp.get("/openapi.json")
def openapi_json() -> Response:
    """v2's own OpenAPI document, built by v1's generator from v2's schemas (Q126, Q151)."""
    app = current_app._get_current_object()
    documents = app.extensions.setdefault("flaskproof.openapi", {})
    if "api_v2" not in documents:
        documents["api_v2"] = openapi_document(
            app,
            "api_v2",
            title="flaskproof Conduit API, version 2",
            version="2.0.0",
            description=(
                "Version 2 of the article list: keyset cursors and a links envelope. "
                "Everything else stays at version 1, described at /api/openapi.json."
            ),
        )
    return Response(json.dumps(documents["api_v2"]), mimetype="application/json")


bp.register_blueprint(docs_bp)
