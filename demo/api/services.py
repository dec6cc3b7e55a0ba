"""What the Conduit API does, with no HTTP in it: the views only parse, call and dump (Q081).

Each function takes checked values (the schemas have run) and the viewer, does one unit of
work, commits it, and returns the rows the response schemas dump. Failures are the
`ServiceError` subclasses below; `demo.api.errors` turns them into status codes, and the
HTML pages can turn them into theirs.

Writes that several requests may race (a follow, a favourite) are single idempotent
statements (``INSERT ... ON CONFLICT DO NOTHING``); the unique constraints settle the rest
(a slug, an e-mail address) and the loser is retried or told what is taken.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from blinker import signal
from flask import current_app
from flask_jwt_extended import create_access_token
from sqlalchemy import Table, delete, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, raiseload

from demo.api.caching import invalidate_article_lists
from demo.auth.passwords import hash_password
from demo.auth.services import (
    AccountTakenError,
    authenticate,
    end_all_sessions,
    is_taken,
    register_user,
)
from demo.data.articles import (
    ArticleFilters,
    ArticleRow,
    ArticleRowKeysetPage,
    ArticleRowPage,
    InvalidCursorError,
    ProfileRow,
    article_row,
    article_row_keyset_page,
    article_row_page,
    viewer_follows,
)
from demo.extensions import db
from demo.models import Article, Comment, Tag, User, article_tags, favorites, follows

TAKEN = "has already been taken"
# Paths that a slug would shadow: GET /api/articles/feed is the feed, not an article, and
# /articles/new is the HTML form for writing one (demo.articles).
RESERVED_SLUGS = frozenset({"feed", "new"})
MAX_SLUG_BASE = 200  # leaves room for "-<suffix>" in the 255-character column
SLUG_ATTEMPTS = 3


def _commit_list_change() -> None:
    """Commit a write that changes what article lists or the tag list show, then drop the
    cached lists. After the commit, never before: a read in between would cache old rows."""
    db.session.commit()
    invalidate_article_lists()


# --- Failures --------------------------------------------------------------------------


class ServiceError(Exception):
    """A request the service refuses; `status` is the HTTP status the API answers with.

    `detail` is the message (or the field-keyed messages) for ``errors.body``; `keyed` adds
    short messages under the name of what failed (``"article": ["not found"]``), which
    clients and test suites written against Conduit read as well.
    """

    status: ClassVar[int] = 400

    def __init__(
        self,
        detail: str | Mapping[str, Sequence[str]],
        *,
        keyed: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.keyed = dict(keyed or {})


class NotFoundError(ServiceError):
    status = 404


ARTICLE_NOT_FOUND = {"article": ["not found"]}
PROFILE_NOT_FOUND = {"profile": ["not found"]}
COMMENT_NOT_FOUND = {"comment": ["not found"]}


class ForbiddenError(ServiceError):
    status = 403


class InvalidError(ServiceError):
    """Well-formed input that breaks a rule only the database can check (a taken e-mail)."""

    status = 422


class CredentialsError(ServiceError):
    status = 401


# --- Rows the response schemas dump ----------------------------------------------------


@dataclass(frozen=True)
class SignedInUser:
    """The current user and a fresh token for them."""

    user: User
    token: str


@dataclass(frozen=True)
class CommentRow:
    """A comment and whether the viewer follows its author."""

    comment: Comment
    following_author: bool = False

    @property
    def author(self) -> ProfileRow:
        return ProfileRow(self.comment.author, self.following_author)


# --- Users -----------------------------------------------------------------------------


def signed_in(user: User) -> SignedInUser:
    """The user with a new access token (the identity and claims come from `demo.auth.tokens`)."""
    return SignedInUser(user, create_access_token(identity=user))


def register(username: str, email: str, password: str) -> SignedInUser:
    """A new account with the default role (`demo.auth.services.register_user`, shared with
    the sign-up page); 422 naming each of `username` and `email` that is already taken."""
    _refuse_taken({"username": username, "email": email})
    try:
        user = register_user(username, email, password)
    except AccountTakenError as taken:  # lost a race between the check and the commit
        raise InvalidError({name: [TAKEN] for name in taken.fields}) from None
    return signed_in(user)


def login(email: str, password: str) -> SignedInUser:
    """The account for these credentials; the same 401 for an unknown e-mail or a wrong password."""
    user = authenticate(email, password)
    if user is None:
        raise CredentialsError(
            {"email or password": ["is invalid"]}, keyed={"credentials": ["invalid"]}
        )
    db.session.commit()  # `authenticate` may have upgraded the hash
    return signed_in(user)


def update_user(user: User, changes: Mapping[str, Any]) -> SignedInUser:
    """Change the given fields. Keeping one's own e-mail or username is not a conflict.

    A new password ends every other session and token (`end_all_sessions` bumps the
    `session_version` the tokens carry), so the response carries a new token.
    """
    identifiers = {name: changes[name] for name in ("username", "email") if name in changes}
    _refuse_taken(identifiers, user)
    for name in ("email", "username", "bio", "image"):
        if name in changes:
            setattr(user, name, changes[name])
    if "password" in changes:
        user.password_hash = hash_password(changes["password"])
        end_all_sessions(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidError(_taken(identifiers, user) or {"user": [TAKEN]}) from None
    invalidate_article_lists()  # lists embed the author's username, bio and image
    return signed_in(user)


def _taken(identifiers: Mapping[str, str], user: User | None = None) -> dict[str, list[str]]:
    """``{"email": ["has already been taken"]}`` for each value another account uses."""
    return {name: [TAKEN] for name, value in identifiers.items() if is_taken(name, value, user)}


def _refuse_taken(identifiers: Mapping[str, str], user: User | None = None) -> None:
    taken = _taken(identifiers, user)
    if taken:
        raise InvalidError(taken)


# --- Profiles --------------------------------------------------------------------------


def _could_be_stored(text: str) -> bool:
    """False for text with U+0000, which PostgreSQL text cannot hold: no row has it, and the
    driver refuses to send it, so a lookup by it is skipped rather than failing as a 500."""
    return "\x00" not in text


def _user_named(username: str) -> User:
    user = None
    if _could_be_stored(username):
        user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"profile {username!r} not found", keyed=PROFILE_NOT_FOUND)
    return user


def _follows(viewer: User | None, user: User) -> bool:
    if viewer is None:
        return False
    condition = (follows.c.follower_id == viewer.id) & (follows.c.followed_id == user.id)
    return bool(db.session.scalar(select(exists().where(condition))))


def get_profile(username: str, viewer: User | None) -> ProfileRow:
    """A profile; `following` is false for anonymous viewers."""
    user = _user_named(username)
    return ProfileRow(user, _follows(viewer, user))


def follow(viewer: User, username: str) -> ProfileRow:
    """Follow a user; following twice changes nothing. Following yourself is a 422."""
    user = _user_named(username)
    if user.id == viewer.id:
        raise InvalidError({"profile": ["cannot be followed by itself"]})
    _insert_ignoring_duplicates(follows, follower_id=viewer.id, followed_id=user.id)
    _commit_list_change()  # `following` flags and the feed
    return ProfileRow(user, True)


def unfollow(viewer: User, username: str) -> ProfileRow:
    """Stop following a user; unfollowing someone not followed changes nothing."""
    user = _user_named(username)
    condition = (follows.c.follower_id == viewer.id) & (follows.c.followed_id == user.id)
    db.session.execute(delete(follows).where(condition))
    _commit_list_change()
    return ProfileRow(user, False)


def _insert_ignoring_duplicates(table: Table, **values: Any) -> None:
    """One atomic statement, so two concurrent identical requests both succeed."""
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    db.session.execute(insert(table).values(**values).on_conflict_do_nothing())


# --- Articles --------------------------------------------------------------------------


def _viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None else None


def list_articles(
    viewer: User | None,
    *,
    tag: str | None = None,
    author: str | None = None,
    favorited: str | None = None,
    limit: int,
    offset: int,
) -> ArticleRowPage:
    """Newest first, filtered; an unknown author or tag is simply no match."""
    filters = ArticleFilters(tag=tag, author=author, favorited=favorited)
    return article_row_page(filters, limit=limit, offset=offset, viewer_id=_viewer_id(viewer))


def list_articles_after(
    viewer: User | None,
    *,
    tag: str | None = None,
    author: str | None = None,
    favorited: str | None = None,
    limit: int,
    after: str | None = None,
) -> ArticleRowKeysetPage:
    """`list_articles` by keyset (API v2): the page after a cursor, no total; 422 for a
    cursor this API did not issue."""
    filters = ArticleFilters(tag=tag, author=author, favorited=favorited)
    try:
        return article_row_keyset_page(
            filters, limit=limit, after=after, viewer_id=_viewer_id(viewer)
        )
    except InvalidCursorError:
        raise InvalidError({"after": ["is not a cursor issued by this API"]}) from None


def feed(viewer: User, *, limit: int, offset: int) -> ArticleRowPage:
    """Newest articles by the users the viewer follows."""
    filters = ArticleFilters(followed_by=viewer.id)
    return article_row_page(filters, limit=limit, offset=offset, viewer_id=viewer.id)


def get_article(slug: str, viewer: User | None) -> ArticleRow:
    row = article_row(slug, viewer_id=_viewer_id(viewer)) if _could_be_stored(slug) else None
    if row is None:
        raise NotFoundError(f"article {slug!r} not found", keyed=ARTICLE_NOT_FOUND)
    return row


def _article(slug: str) -> Article:
    article = None
    if _could_be_stored(slug):
        article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        raise NotFoundError(f"article {slug!r} not found", keyed=ARTICLE_NOT_FOUND)
    return article


def _owned_article(viewer: User, slug: str) -> Article:
    article = _article(slug)
    if article.author_id != viewer.id:
        raise ForbiddenError(
            "only the author may change or delete this article", keyed={"article": ["forbidden"]}
        )
    return article


def create_article(
    author: User, *, title: str, description: str, body: str, tag_list: Iterable[str] | None = None
) -> ArticleRow:
    """A new article with a slug made from its title, unique even when titles repeat."""

    def attempt(number: int) -> Article:
        article = Article(
            slug=unique_slug(title, random_suffix=number > 0),
            title=title,
            description=description,
            body=body,
            author_id=author.id,
            tags=_tags_named(tag_list or ()),
        )
        db.session.add(article)
        return article

    article = _commit_with_retries(attempt)
    return get_article(article.slug, author)


def update_article(viewer: User, slug: str, changes: Mapping[str, Any]) -> ArticleRow:
    """Change the given fields; a new title gives a new slug (the spec says so)."""
    article = _owned_article(viewer, slug)

    def attempt(number: int) -> Article:
        if "title" in changes and slugify(changes["title"]) != slugify(article.title):
            article.slug = unique_slug(
                changes["title"], exclude_id=article.id, random_suffix=number > 0
            )
        for name in ("title", "description", "body"):
            if name in changes:
                setattr(article, name, changes[name])
        if changes.get("tag_list") is not None:
            article.tags = _tags_named(changes["tag_list"])
        return article

    _commit_with_retries(attempt)
    return get_article(article.slug, viewer)


def delete_article(viewer: User, slug: str) -> None:
    """Delete an article; its comments, tags links and favourites go by ON DELETE CASCADE."""
    db.session.delete(_owned_article(viewer, slug))
    _commit_list_change()


def favorite(viewer: User, slug: str) -> ArticleRow:
    """Favourite an article; doing it twice changes nothing."""
    article = _article(slug)
    _insert_ignoring_duplicates(favorites, user_id=viewer.id, article_id=article.id)
    _commit_list_change()
    return get_article(slug, viewer)


def unfavorite(viewer: User, slug: str) -> ArticleRow:
    """Remove a favourite; removing one that is not there changes nothing."""
    article = _article(slug)
    condition = (favorites.c.user_id == viewer.id) & (favorites.c.article_id == article.id)
    db.session.execute(delete(favorites).where(condition))
    _commit_list_change()
    return get_article(slug, viewer)


def _commit_with_retries(attempt: Callable[[int], Article]) -> Article:
    """Apply `attempt` and commit; after a unique-constraint race, roll back and try again.

    The slug is checked before the INSERT, but another request can take it in between: the
    unique index refuses the second one, and the retry picks a random suffix.
    """
    number = 0
    while True:
        article = attempt(number)
        try:
            _commit_list_change()
        except IntegrityError:
            db.session.rollback()
            number += 1
            if number == SLUG_ATTEMPTS:
                raise
            continue
        return article


def slugify(title: str) -> str:
    """``"How to Train Your Dragon!"`` -> ``"how-to-train-your-dragon"``; accents dropped,
    other letters kept; ``"article"`` when nothing is left."""
    decomposed = unicodedata.normalize("NFKD", title)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    slug = re.sub(r"[\W_]+", "-", plain.lower()).strip("-")
    return slug[:MAX_SLUG_BASE].rstrip("-") or "article"


def unique_slug(title: str, *, exclude_id: int | None = None, random_suffix: bool = False) -> str:
    """The title's slug, or the same with the lowest free ``-2``, ``-3`` ... suffix."""
    base = slugify(title)
    if random_suffix:
        return f"{base}-{secrets.token_hex(3)}"
    similar = select(Article.slug).where(
        or_(Article.slug == base, Article.slug.startswith(f"{base}-", autoescape=True))
    )
    if exclude_id is not None:
        similar = similar.where(Article.id != exclude_id)
    taken = set(db.session.scalars(similar)) | RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _tags_named(names: Iterable[str]) -> list[Tag]:
    """Existing tags by name, and new ones for the rest (duplicates in `names` collapse)."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    existing = {
        tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(wanted)))
    }
    return [existing.get(name) or Tag(name=name) for name in wanted]


# --- Comments --------------------------------------------------------------------------


def list_comments(slug: str, viewer: User | None) -> list[CommentRow]:
    """An article's comments, newest first, authors and follow flags in one statement."""
    article = _article(slug)
    following = viewer_follows(_viewer_id(viewer), Comment.author_id).label("following")
    query = (
        select(Comment, following)
        .where(Comment.article_id == article.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .options(joinedload(Comment.author), raiseload("*"))
    )
    return [CommentRow(comment, bool(flag)) for comment, flag in db.session.execute(query)]


def add_comment(viewer: User, slug: str, body: str) -> CommentRow:
    article = _article(slug)
    comment = Comment(body=body, article_id=article.id, author_id=viewer.id)
    db.session.add(comment)
    db.session.commit()
    # Announced after the commit, so nobody hears of a comment that was rolled back; the
    # real-time package subscribes by name (demo/websockets/comments.py).
    signal("flaskproof.comment-created").send(current_app._get_current_object(), comment=comment)
    return CommentRow(comment, False)  # nobody follows themselves


def delete_comment(viewer: User, slug: str, comment_id: int) -> None:
    """Only the comment's author may delete it; a comment of another article is a 404."""
    article = _article(slug)
    comment = db.session.scalar(
        select(Comment).where(Comment.id == comment_id, Comment.article_id == article.id)
    )
    if comment is None:
        raise NotFoundError(
            f"comment {comment_id} not found on article {slug!r}", keyed=COMMENT_NOT_FOUND
        )
    if comment.author_id != viewer.id:
        raise ForbiddenError(
            "only the author may delete this comment", keyed={"comment": ["forbidden"]}
        )
    db.session.delete(comment)
    db.session.commit()


# --- Tags ------------------------------------------------------------------------------


def popular_tags() -> list[str]:
    """Tags in use, most used first, then by name; tags no article uses any more are left out."""
    query = (
        select(Tag.name)
        .join(article_tags, article_tags.c.tag_id == Tag.id)
        .group_by(Tag.id, Tag.name)
        .order_by(func.count().desc(), Tag.name)
    )
    return list(db.session.scalars(query))
