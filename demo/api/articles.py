"""Articles: the list, the feed, create, the article resource, favourites (Q062, Q082, Q084).

`ArticleResource` is the class-based version: one `MethodView` for ``/articles/<slug>`` whose
`get`, `put` and `delete` methods Flask dispatches to by HTTP method, registered once with
`add_url_rule(..., view_func=ArticleResource.as_view("article"))`. Flask derives the rule's
methods from the handlers the class defines, so any other method is a 405. By default
`as_view` builds a new instance per request; this class keeps no state on `self`, so it sets
`init_every_request = False` and one instance serves them all. The other routes are function
views; both styles share the schemas, the services and the error handling.

Reads go through `demo.api.caching`: the lists are cached per caller (they carry the viewer's
`favorited`/`following` flags) under their authentication decorator, so a bad token is refused
before any cached page is served; a single article gets an ETag and answers 304 when unchanged.
The services drop the cached lists after every write that changes them.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from demo.api import bp, no_content, services
from demo.api.caching import cached_response, conditional
from demo.api.docs import Auth, operation
from demo.api.parsing import load_body, load_query
from demo.api.schemas import (
    ArticleListQuery,
    MultipleArticlesResponse,
    NewArticleRequest,
    PageQuery,
    SingleArticleResponse,
    UpdateArticleRequest,
)
from demo.api.security import auth_optional, auth_required, signed_in_viewer, viewer

TAG = "Articles"
article_response = SingleArticleResponse()
articles_response = MultipleArticlesResponse()


@bp.get("/articles")
@operation(
    tag=TAG,
    auth=Auth.OPTIONAL,
    query=ArticleListQuery,
    responses={200: MultipleArticlesResponse},
    conditional=True,
)
@auth_optional
@cached_response(per_user=True)
def list_articles() -> dict[str, Any]:
    """Newest first; ?tag=, ?author=, ?favorited=, ?limit= (default 20), ?offset= (default 0)."""
    query = load_query(ArticleListQuery())
    return articles_response.dump(services.list_articles(viewer(), **query))


@bp.get("/articles/feed")
@operation(
    tag=TAG,
    auth=Auth.REQUIRED,
    query=PageQuery,
    responses={200: MultipleArticlesResponse},
    conditional=True,
)
@auth_required
@cached_response(per_user=True)
def feed() -> dict[str, Any]:
    """Newest articles by the users the viewer follows; ?limit= and ?offset= as above."""
    query = load_query(PageQuery())
    return articles_response.dump(services.feed(signed_in_viewer(), **query))


@bp.post("/articles")
@operation(
    tag=TAG, auth=Auth.REQUIRED, body=NewArticleRequest, responses={201: SingleArticleResponse}
)
@auth_required
def create_article() -> tuple[dict[str, Any], int]:
    """Publish an article: 201 with it, its slug made unique."""
    fields = load_body(NewArticleRequest())["article"]
    return article_response.dump(services.create_article(signed_in_viewer(), **fields)), 201


class ArticleResource(MethodView):
    """``/api/articles/<slug>``: read it (anyone), change or delete it (its author only)."""

    init_every_request = False  # stateless: one instance serves every request

    @operation(
        tag=TAG, auth=Auth.OPTIONAL, responses={200: SingleArticleResponse}, conditional=True
    )
    @auth_optional
    @conditional
    def get(self, slug: str) -> dict[str, Any]:
        """Read an article; 304 when `If-None-Match` has its current ETag."""
        return article_response.dump(services.get_article(slug, viewer()))

    @operation(
        tag=TAG,
        auth=Auth.REQUIRED,
        body=UpdateArticleRequest,
        responses={200: SingleArticleResponse},
        errors=(403,),
    )
    @auth_required
    def put(self, slug: str) -> dict[str, Any]:
        """Change an article's title, description, body or tags; a new title, a new slug."""
        viewer_user = signed_in_viewer()
        changes = load_body(UpdateArticleRequest())["article"]
        return article_response.dump(services.update_article(viewer_user, slug, changes))

    @operation(tag=TAG, auth=Auth.REQUIRED, responses={204: None}, errors=(403,))
    @auth_required
    def delete(self, slug: str) -> Response:
        """Delete an article, its comments and favourites with it."""
        services.delete_article(signed_in_viewer(), slug)
        return no_content()


bp.add_url_rule("/articles/<slug>", view_func=ArticleResource.as_view("article"))


@bp.post("/articles/<slug>/favorite")
@operation(tag="Favorites", auth=Auth.REQUIRED, responses={200: SingleArticleResponse})
@auth_required
def favorite(slug: str) -> dict[str, Any]:
    """Favourite an article (idempotent): 200 with the article."""
    return article_response.dump(services.favorite(signed_in_viewer(), slug))


@bp.delete("/articles/<slug>/favorite")
@operation(tag="Favorites", auth=Auth.REQUIRED, responses={200: SingleArticleResponse})
@auth_required
def unfavorite(slug: str) -> dict[str, Any]:
    """Remove a favourite (idempotent): 200 with the article, as the spec says."""
    return article_response.dump(services.unfavorite(signed_in_viewer(), slug))
