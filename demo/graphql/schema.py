"""The read-only GraphQL schema, resolved by the same data layer as the REST API (Q073).

Three entry points: ``articles(tag, author, favorited, limit, offset)``, ``tags`` and
``profile(username)``. There is no Mutation type, so the schema cannot express a write.

A profile's ``articles`` field makes the graph cyclic (article -> author -> articles -> ...),
which is what lets a client ask for unbounded work in one small request. The validation
rules below refuse such documents before any resolver runs: a nesting depth limit, an alias
limit (one field asked for under 100 aliases is 100 queries), and a cap on document size.
Lists are capped like the REST API's (`MAX_LIMIT`).

Everything here is public data, as anonymous REST callers see it: no per-user flags.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from sqlalchemy import select
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from demo.data.articles import DEFAULT_LIMIT, MAX_LIMIT, ArticleFilters, list_articles
from demo.data.reports import tag_counts
from demo.extensions import db
from demo.models import User

log = logging.getLogger(__name__)

MAX_DEPTH = 6
MAX_ALIASES = 10
MAX_TOKENS = 1000


class InvalidArgumentError(ValueError):
    """An argument value the API refuses; its message is the client's to read."""


@strawberry.type(description="A user as others see them.")
class Profile:
    username: str
    bio: str | None
    image: str | None

    @strawberry.field(description="This author's articles, newest first.")
    def articles(self, limit: int = DEFAULT_LIMIT, offset: int = 0) -> ArticlePage:
        return article_page(ArticleFilters(author=self.username), limit, offset)


@strawberry.type(description="An article without its body, as in the REST list.")
class Article:
    slug: str
    title: str
    description: str
    tag_list: list[str]
    created_at: str = strawberry.field(description="ISO 8601, UTC, milliseconds.")
    updated_at: str = strawberry.field(description="ISO 8601, UTC, milliseconds.")
    favorites_count: int
    author: Profile


@strawberry.type(description="One page of articles and the number of matches in all pages.")
class ArticlePage:
    articles: list[Article]
    articles_count: int


@strawberry.type(description="A tag and how many articles use it.")
class TagUsage:
    name: str
    article_count: int


def to_article(summary: dict[str, Any]) -> Article:
    """A data-layer article summary as a GraphQL object."""
    return Article(
        slug=summary["slug"],
        title=summary["title"],
        description=summary["description"],
        tag_list=summary["tagList"],
        created_at=summary["createdAt"],
        updated_at=summary["updatedAt"],
        favorites_count=summary["favoritesCount"],
        author=Profile(**summary["author"]),
    )


def article_page(filters: ArticleFilters, limit: int, offset: int) -> ArticlePage:
    """`list_articles` with the REST API's bounds; bad bounds become GraphQL errors."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgumentError(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise InvalidArgumentError("offset must not be negative")
    page = list_articles(filters, limit=limit, offset=offset)
    return ArticlePage(
        articles=[to_article(summary) for summary in page.articles], articles_count=page.total
    )


@strawberry.type
class Query:
    @strawberry.field(description="Articles, newest first, filtered like GET /api/articles.")
    def articles(
        self,
        tag: str | None = None,
        author: str | None = None,
        favorited: str | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> ArticlePage:
        return article_page(ArticleFilters(tag, author, favorited), limit, offset)

    @strawberry.field(description="Tags in use, most used first.")
    def tags(self) -> list[TagUsage]:
        return [TagUsage(name=row.tag, article_count=row.article_count) for row in tag_counts()]

    @strawberry.field(description="A user's public profile; null when there is no such user.")
    def profile(self, username: str) -> Profile | None:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            return None
        return Profile(username=user.username, bio=user.bio, image=user.image)


class ReadOnlySchema(strawberry.Schema):
    """Logs the client's mistakes as such, and only real failures as errors.

    Strawberry logs every error in a result at ERROR level with a traceback, a syntax error
    in someone's query included; an operator would drown in them. The client still gets
    every message in the response's ``errors``.
    """

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        failures = []
        for error in errors:
            if error.original_error is None or isinstance(
                error.original_error, InvalidArgumentError
            ):
                log.info("GraphQL request refused: %s", error.message)
            else:
                failures.append(error)
        super().process_errors(failures, execution_context)


schema = ReadOnlySchema(
    query=Query,
    # Factories, not instances: Strawberry builds fresh extensions for every request.
    extensions=[
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    ],
)
