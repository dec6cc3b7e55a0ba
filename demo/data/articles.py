"""The article list, three ways to get it wrong or right, and two kinds of paging (Q147).

`list_articles` loads a page of articles with their authors, tags and favourite counts in
three statements whatever the page size: the page itself (author joined in, the count as
a correlated subquery), one ``SELECT ... IN`` for all the page's tags, and the total.
`list_articles_naive` returns the same JSON but lets every attribute lazy-load: the N+1
anti-pattern, kept here so a test can show its cost grow with the page size.

`article_row_page` and `article_row` are what the Conduit API serialises: the same page query
plus two correlated EXISTS columns saying whether the viewer favourited each article and
follows its author, so a signed-in page still costs the same three statements.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select, tuple_
from sqlalchemy.orm import joinedload, raiseload, selectinload

from demo.extensions import db
from demo.models import Article, Tag, User, favorites, follows

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# The largest `articles.id` a cursor may name: the Integer column is 32 bits on PostgreSQL.
MAX_ARTICLE_ID = 2**31 - 1

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
    """The Conduit list filters: `?tag=`, `?author=` (username), `?favorited=` (username).

    `followed_by` (a user id) keeps the articles whose authors that user follows: the feed.
    """

    tag: str | None = None
    author: str | None = None
    favorited: str | None = None
    followed_by: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """WHERE clauses; EXISTS subqueries, so a match never duplicates an article row."""
        conditions: list[ColumnElement[bool]] = []
        if self.tag:
            conditions.append(Article.tags.any(Tag.name == self.tag))
        if self.author:
            conditions.append(Article.author.has(User.username == self.author))
        if self.favorited:
            conditions.append(Article.favorited_by.any(User.username == self.favorited))
        if self.followed_by is not None:
            followed = select(follows.c.followed_id).where(
                follows.c.follower_id == self.followed_by
            )
            conditions.append(Article.author_id.in_(followed))
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
    return _cursor(article.created_at, article.id)


def _cursor(created_at: datetime, article_id: int) -> str:
    raw = f"{created_at.isoformat()}|{article_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (created_at, id) inside a cursor; InvalidCursorError when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, _, article_id = base64.urlsafe_b64decode(padded).decode().partition("|")
        position = datetime.fromisoformat(created), int(article_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursorError(f"invalid cursor {cursor!r}") from exc
    # Only the exact text `encode_cursor` writes: a UTC timestamp and an id in the column's
    # range. Anything else was not issued here, and some of it (an id past 32 bits, a date
    # that leaves the calendar when moved to UTC) would fail in the driver with a 500.
    created_at, article_id = position
    if (
        created_at.utcoffset() != timedelta(0)
        or not 0 < article_id <= MAX_ARTICLE_ID
        or _cursor(created_at, article_id) != cursor
    ):
        raise InvalidCursorError(f"invalid cursor {cursor!r}")
    return position


def _older_than(cursor: str) -> ColumnElement[bool]:
    """Rows after the cursor's position in newest-first order (InvalidCursorError if bad)."""
    created_at, article_id = decode_cursor(cursor)
    return tuple_(Article.created_at, Article.id) < (created_at, article_id)


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
        query = query.where(_older_than(after))
    # One row more than asked tells whether another page exists, without a COUNT.
    rows = db.session.execute(query.limit(limit + 1)).all()
    page, more = rows[:limit], len(rows) > limit
    articles = [article_summary(article, count) for article, count in page]
    return KeysetPage(articles, encode_cursor(page[-1][0]) if more else None)


@dataclass(frozen=True)
class ProfileRow:
    """A user as one viewer sees them: an article's author, a commenter, a profile page."""

    user: User
    following: bool = False


@dataclass(frozen=True)
class ArticleRow:
    """An article with the figures its Conduit representation needs, for one viewer."""

    article: Article
    favorites_count: int
    favorited: bool = False
    following_author: bool = False

    @property
    def tag_names(self) -> list[str]:
        """Tag names sorted alphabetically in Python, so every database orders them alike."""
        return sorted((tag.name for tag in self.article.tags), key=lambda n: (n.casefold(), n))

    @property
    def author(self) -> ProfileRow:
        """The author, with whether the viewer follows them."""
        return ProfileRow(self.article.author, self.following_author)


@dataclass(frozen=True)
class ArticleRowPage:
    """One limit/offset page of `ArticleRow`s and the number of matches across all pages."""

    rows: list[ArticleRow]
    total: int


def viewer_follows(viewer_id: int | None, author_id: ColumnElement[int]) -> ColumnElement[bool]:
    """A column: does the viewer follow the user in `author_id`? EXISTS, correlated to the
    enclosing query (an article's or a comment's author); constant false for anonymous."""
    if viewer_id is None:
        return false()
    return (
        select(follows.c.followed_id)
        .where(follows.c.followed_id == author_id, follows.c.follower_id == viewer_id)
        .correlate_except(follows)
        .exists()
    )


def _viewer_columns(viewer_id: int | None) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """`favorited` and `following` as correlated EXISTS columns (constant false for anonymous)."""
    favorited: ColumnElement[bool] = false()
    if viewer_id is not None:
        favorited = (
            select(favorites.c.article_id)
            .where(favorites.c.article_id == Article.id, favorites.c.user_id == viewer_id)
            .correlate(Article)
            .exists()
        )
    following = viewer_follows(viewer_id, Article.author_id)
    return favorited.label("favorited"), following.label("following")


def _row_query(filters: ArticleFilters, viewer_id: int | None) -> Select[Any]:
    return _eager_page_query(filters).add_columns(*_viewer_columns(viewer_id))


def _to_row(article: Article, count: int, favorited: Any, following: Any) -> ArticleRow:
    # SQLite hands EXISTS back as 0/1.
    return ArticleRow(article, count, bool(favorited), bool(following))


def article_row_page(
    filters: ArticleFilters | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    viewer_id: int | None = None,
) -> ArticleRowPage:
    """A newest-first page for `viewer_id`: three statements whatever the page size."""
    filters = filters or ArticleFilters()
    query = _row_query(filters, viewer_id).limit(limit).offset(offset)
    rows = [_to_row(*row) for row in db.session.execute(query).all()]
    return ArticleRowPage(rows, count_articles(filters))


@dataclass(frozen=True)
class ArticleRowKeysetPage:
    """One keyset page of `ArticleRow`s; `next_cursor` is None on the last page."""

    rows: list[ArticleRow]
    next_cursor: str | None = None


def article_row_keyset_page(
    filters: ArticleFilters | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    after: str | None = None,
    viewer_id: int | None = None,
) -> ArticleRowKeysetPage:
    """`list_articles_keyset` for `viewer_id`: the same cursors, `ArticleRow`s, no COUNT."""
    filters = filters or ArticleFilters()
    query = _row_query(filters, viewer_id)
    if after is not None:
        query = query.where(_older_than(after))
    rows = [_to_row(*row) for row in db.session.execute(query.limit(limit + 1)).all()]
    page, more = rows[:limit], len(rows) > limit
    return ArticleRowKeysetPage(page, encode_cursor(page[-1].article) if more else None)


def article_row(slug: str, *, viewer_id: int | None = None) -> ArticleRow | None:
    """One article by slug for `viewer_id`, or None: two statements (the row and its tags)."""
    query = _row_query(ArticleFilters(), viewer_id).where(Article.slug == slug)
    row = db.session.execute(query).one_or_none()
    return _to_row(*row) if row is not None else None
