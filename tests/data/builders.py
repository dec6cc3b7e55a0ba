"""Small builders for test rows: only the fields a test cares about are passed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from demo.extensions import db
from demo.models import Article, Tag, User


def make_user(username: str, **fields: object) -> User:
    """A user with a placeholder hash (these tests never log in), added to the session."""
    fields.setdefault("email", f"{username}@example.test")
    user = User(username=username, password_hash="not-a-real-hash", **fields)
    db.session.add(user)
    return user


def tag_named(name: str) -> Tag:
    """The existing tag with this name, or a new one."""
    tag = db.session.scalar(select(Tag).where(Tag.name == name))
    if tag is None:
        tag = Tag(name=name)
        db.session.add(tag)
    return tag


def make_article(
    author: User,
    slug: str,
    *,
    tags: Iterable[str] = (),
    favorited_by: Iterable[User] = (),
    created_at: datetime | None = None,
) -> Article:
    """An article by `author`; `created_at` pins its place in newest-first order."""
    article = Article(
        slug=slug,
        title=slug.replace("-", " ").title(),
        description=f"About {slug}",
        body=f"Body of {slug}",
        author=author,
        tags=[tag_named(name) for name in tags],
        favorited_by=list(favorited_by),
    )
    if created_at is not None:
        article.created_at = article.updated_at = created_at
    db.session.add(article)
    return article
