"""The article list, three ways to get it wrong or right, and two kinds of paging (Q147).

`list_articles` loads a page of articles with their authors, tags and favourite counts in
three statements whatever the page size: the page itself (author joined in, the count as
a correlated subquery), one ``SELECT ... IN`` for all the page's tags, and the total.
`list_articles_naive` returns the same JSON but lets every attribute lazy-load: the N+1
anti-pattern, kept here so a test can show its cost grow with the page size.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import joinedload, raiseload, selectinload

from demo.extensions import db
from demo.models import Article, Tag, User, favorites

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

# Newest first, and `id` breaks ties so every row has one fixed place in the order:
# without it, offset pages may repeat or skip rows that share a timestamp.
NEWEST_FIRST = (Article.created_at.desc(), Article.id.desc())

favorites_count = (
    select(func.count())
    .select_from(favorites)
    .where(favorites.c.article_id == Article.id)
    .correlate(Article)
    .scalar_subquery()
    .label("favorites_count")
)


@dataclass(frozen=True)
class ArticleFilters:
    """The Conduit list filters: `?tag=`, `?author=` (username), `?favorited=` (username)."""

    tag: str | None = None
    author: str | None = None
    favorited: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """WHERE clauses; EXISTS subqueries, so a match never duplicates an article row."""
        conditions: list[ColumnElement[bool]] = []
        if self.tag:
            conditions.append(Article.tags.any(Tag.name == self.tag))
        if self.author:
            conditions.append(Article.author.has(User.username == self.author))
        if self.favorited:
            conditions.append(Article.favorited_by.any(User.username == self.favorited))
        return conditions


@dataclass(frozen=True)
class ArticlePage:
    """One limit/offset page in the Conduit shape, plus the total across all pages."""

    articles: list[dict[str, Any]]
    total: int

    def as_json(self) -> dict[str, Any]:
        return {"articles": self.articles, "articlesCount": self.total}


@dataclass(frozen=True)
class KeysetPage:
    """One keyset page; `next_cursor` is None on the last page."""

    articles: list[dict[str, Any]]
    next_cursor: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"articles": self.articles, "nextCursor": self.next_cursor}


class InvalidCursorError(ValueError):
    """A keyset cursor that this module did not produce."""


def _timestamp(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def article_summary(article: Article, favorites_count: int) -> dict[str, Any]:
    """An article as the Conduit list returns it (no body in lists since 2024)."""
    return {
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
        "tagList": [tag.name for tag in article.tags],
        "createdAt": _timestamp(article.created_at),
        "updatedAt": _timestamp(article.updated_at),
        "favoritesCount": favorites_count,
        "author": {
            "username": article.author.username,
            "bio": article.author.bio,
            "image": article.author.image,
        },
    }


def _eager_page_query(filters: ArticleFilters) -> Select[Any]:
    return (
        select(Article, favorites_count)
        .where(*filters.conditions())
        .order_by(*NEWEST_FIRST)
        .options(
            joinedload(Article.author),  # many-to-one: one JOIN, no extra statement
            selectinload(Article.tags),  # collection: one SELECT ... WHERE id IN (...)
            raiseload("*"),  # anything else would be a lazy load: fail loudly instead
        )
    )


def count_articles(filters: ArticleFilters) -> int:
    """How many articles match, for `articlesCount`."""
    return db.session.scalar(select(func.count(Article.id)).where(*filters.conditions())) or 0


def list_articles(
    filters: ArticleFilters | None = None, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> ArticlePage:
    """A newest-first page by limit/offset, in a constant number of statements."""
    filters = filters or ArticleFilters()
    rows = db.session.execute(_eager_page_query(filters).limit(limit).offset(offset)).all()
    articles = [article_summary(article, count) for article, count in rows]
    return ArticlePage(articles, count_articles(filters))


def list_articles_naive(
    filters: ArticleFilters | None = None, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> ArticlePage:
    """ANTI-PATTERN (N+1): same output as `list_articles`, one extra query per attribute.

    Each `article.author`, `article.tags` and `article.favorited_by` is a lazy load, so a
    page of N articles costs about 3N + 2 statements. It looks fine with three rows in
    development and falls over with real page sizes and network latency.
    """
    filters = filters or ArticleFilters()
    query = (
        select(Article)
        .where(*filters.conditions())
        .order_by(*NEWEST_FIRST)
        .limit(limit)
        .offset(offset)
    )
    articles = db.session.scalars(query).all()
    summaries = [article_summary(article, len(article.favorited_by)) for article in articles]
    return ArticlePage(summaries, count_articles(filters))


def encode_cursor(article: Article) -> str:
    """An opaque cursor naming the position just after `article` in newest-first order."""
    raw = f"{article.created_at.isoformat()}|{article.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (created_at, id) inside a cursor; InvalidCursorError when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, _, article_id = base64.urlsafe_b64decode(padded).decode().partition("|")
        position = datetime.fromisoformat(created), int(article_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursorError(f"invalid cursor {cursor!r}") from exc
    if position[0].tzinfo is None:
        raise InvalidCursorError(f"invalid cursor {cursor!r}")
    return position


def list_articles_keyset(
    filters: ArticleFilters | None = None, *, limit: int = DEFAULT_LIMIT, after: str | None = None
) -> KeysetPage:
    """A newest-first page that starts after a cursor (keyset, or "seek", pagination).

    ``WHERE (created_at, id) < (:created_at, :id)`` walks the `(created_at, id)` index from
    the cursor, so page 1000 costs what page 1 costs, and rows inserted meanwhile do not
    shift later pages. OFFSET instead reads and discards every skipped row.
    """
    filters = filters or ArticleFilters()
    query = _eager_page_query(filters)
    if after is not None:
        created_at, article_id = decode_cursor(after)
        query = query.where(tuple_(Article.created_at, Article.id) < (created_at, article_id))
    # One row more than asked tells whether another page exists, without a COUNT.
    rows = db.session.execute(query.limit(limit + 1)).all()
    page, more = rows[:limit], len(rows) > limit
    articles = [article_summary(article, count) for article, count in page]
    return KeysetPage(articles, encode_cursor(page[-1][0]) if more else None)
