"""Read-only JSON views over the data layer, for trying the query patterns (Q057, Q147, Q148).

Every URL lives under ``/data/``. Each request uses the one scoped session Flask-SQLAlchemy
opens on first use and removes at app-context teardown (Q076, Q077): no view here opens,
commits or closes anything itself.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from demo.data.articles import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ArticleFilters,
    InvalidCursorError,
    list_articles,
    list_articles_keyset,
)
from demo.data.reports import tag_counts
from demo.extensions import db
from demo.fundamentals import bp
from demo.models import Article


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    # Not `args.get(type=int)`: that silently falls back to the default on "?limit=abc".
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value: int | None = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        abort(400, f"{name} must be an integer from {low} to {high}")
    return value


def _filters() -> ArticleFilters:
    args = request.args
    return ArticleFilters(args.get("tag"), args.get("author"), args.get("favorited"))


@bp.get("/data/articles")
def data_articles() -> dict[str, Any]:
    """Newest articles by limit/offset, filtered by ?tag=, ?author=, ?favorited=."""
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_arg("offset", 0, 0, 1_000_000)
    return list_articles(_filters(), limit=limit, offset=offset).as_json()


@bp.get("/data/articles/keyset")
def data_articles_keyset() -> dict[str, Any]:
    """Newest articles by keyset: pass the previous page's `nextCursor` as ?after=."""
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    try:
        page = list_articles_keyset(_filters(), limit=limit, after=request.args.get("after"))
    except InvalidCursorError:
        abort(400, "after is not a cursor returned by this endpoint")
    return page.as_json()


@bp.get("/data/articles/<slug>")
def data_article(slug: str) -> dict[str, Any]:
    """One article with its body; Flask-SQLAlchemy's `first_or_404` answers unknown slugs."""
    article = db.first_or_404(
        select(Article)
        .where(Article.slug == slug)
        .options(joinedload(Article.author), selectinload(Article.tags)),
        description=f"no article with slug {slug!r}",
    )
    return {
        "article": {
            "slug": article.slug,
            "title": article.title,
            "description": article.description,
            "body": article.body,
            "tagList": [tag.name for tag in article.tags],
            "author": article.author.username,
        }
    }


@bp.get("/data/reports/tags")
def data_tag_report() -> dict[str, Any]:
    """The raw-SQL tag report; ?author= and ?min= are bound parameters, never SQL."""
    min_articles = _int_arg("min", 1, 1, 1_000_000)
    rows = tag_counts(author=request.args.get("author"), min_articles=min_articles)
    return {"tags": [row._asdict() for row in rows]}
