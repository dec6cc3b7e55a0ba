"""marshmallow 4 schemas of API v2: v1's article in a new envelope, paged by cursor (Q126).

The article itself is v1's schema (`demo.api.schemas.Article`), extended with a ``links``
object: both versions describe an article alike, so a fix to one reaches the other. What
v2 changes is around it: ``data`` instead of ``articles``/``article``, ``links.next``
instead of ``?offset=``, and ``meta.count`` (this page) instead of ``articlesCount`` (every
match, one COUNT per page, which keyset paging exists to avoid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

from demo.api import schemas as v1
from demo.data.articles import DEFAULT_LIMIT, MAX_LIMIT, ArticleRow

# --- Requests --------------------------------------------------------------------------


class ArticleListQuery(v1.RequestSchema):
    """`GET /api/v2/articles`: v1's filters, `?limit=`, and `?after=<cursor>` for the next page.

    `?after=` is checked where it is decoded (`services.list_articles_after`, a 422).
    `?offset=` is refused rather than ignored: a v1 client moved to v2 would otherwise get
    page 1 again and again.
    """

    tag = fields.String()
    author = fields.String()
    favorited = fields.String()
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, error="must be at least {min}"),
        error_messages={"invalid": "must be an integer"},
    )
    after = fields.String()

    @pre_load
    def refuse_offset(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, dict) and "offset" in data:
            raise ValidationError("is not supported in v2: follow links.next", "offset")
        return data

    @post_load
    def clamp(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["limit"] = min(data["limit"], MAX_LIMIT)  # as in v1: a large limit is capped
        return data


# --- Responses -------------------------------------------------------------------------


def _article_links(row: ArticleRow) -> dict[str, str]:
    return {"self": url_for("api_v2.article", slug=row.article.slug)}


class Article(v1.Article):
    """v1's article plus ``links.self``, its v2 URL; dumps an `ArticleRow`."""

    links = fields.Function(_article_links, required=True)


class ArticleSummary(Article):
    """An article in a v2 list: no body, as in v1."""

    class Meta:
        exclude = ("body",)


class SingleArticleResponse(v1.Envelope):
    """``{"data": {...}}``."""

    data = fields.Nested(Article, required=True)


@dataclass(frozen=True)
class ArticleList:
    """What `ArticleListResponse` dumps: a page of rows and ``{"self": url, "next": url}``."""

    rows: list[ArticleRow]
    links: dict[str, str | None]


class PageLinks(Schema):
    """This page's URL and the next one's (None on the last page)."""

    self_ = fields.String(attribute="self", data_key="self", required=True)
    next = fields.String(allow_none=True, required=True)


class ArticleListResponse(Schema):
    """``{"data": [...], "links": {"self", "next"}, "meta": {"count"}}``; dumps an `ArticleList`."""

    data = fields.List(fields.Nested(ArticleSummary), attribute="rows", required=True)
    links = fields.Nested(PageLinks, required=True)
    meta = fields.Function(lambda page: {"count": len(page.rows)}, required=True)
