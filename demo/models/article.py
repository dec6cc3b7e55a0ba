"""Articles, their tags and comments, and which users favourited them (Q146).

One-to-many: a user writes many articles, an article has many comments. Many-to-many:
articles and tags (`article_tags`), users and the articles they favourite (`favorites`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from demo.extensions import db
from demo.models.sqlite import NEVER_REUSE_IDS
from demo.models.types import TimestampMixin

if TYPE_CHECKING:
    from demo.models.user import User

article_tags = Table(
    "article_tags",
    db.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

favorites = Table(
    "favorites",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Tag(db.Model):
    """A tag name, shared by every article that uses it."""

    __tablename__ = "tags"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)

    articles: Mapped[list[Article]] = relationship(
        secondary=article_tags, back_populates="tags", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Tag {self.name}>"


class Article(TimestampMixin, db.Model):
    """A Conduit article, addressed by its unique slug."""

    __tablename__ = "articles"
    # Lists are newest first; (created_at, id) serves both that sort and keyset pagination.
    __table_args__ = (Index(None, "created_at", "id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    author: Mapped[User] = relationship(back_populates="articles")
    tags: Mapped[list[Tag]] = relationship(
        secondary=article_tags,
        back_populates="articles",
        order_by=lambda: Tag.name,
        passive_deletes=True,
    )
    favorited_by: Mapped[list[User]] = relationship(
        secondary=favorites, back_populates="favorites", passive_deletes=True
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="article",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: Comment.id,
    )

    def __repr__(self) -> str:
        return f"<Article {self.slug}>"


class Comment(TimestampMixin, db.Model):
    """A comment on an article; goes when its article or its author goes."""

    __tablename__ = "comments"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    article: Mapped[Article] = relationship(back_populates="comments")
    author: Mapped[User] = relationship(back_populates="comments")

    def __repr__(self) -> str:
        return f"<Comment {self.id} on {self.article_id}>"
