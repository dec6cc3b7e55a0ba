"""Users, their roles, and who follows whom (Q146).

`follows` is a self-referential many-to-many: both columns point at `users.id`, so the
relationship needs explicit `primaryjoin`/`secondaryjoin` to say which side is which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from demo.extensions import db
from demo.models.sqlite import NEVER_REUSE_IDS
from demo.models.types import TimestampMixin

if TYPE_CHECKING:
    from demo.models.article import Article, Comment
    from demo.models.security import ApiKey, OAuthAccount
    from demo.models.upload import UploadedFile

ROLE_NAMES = ("admin", "editor", "viewer")

# Association tables carry no data of their own, so they are plain Tables, not models.
# The composite primary key indexes the first column; the second gets its own index.
follows = Table(
    "follows",
    db.metadata,
    Column("follower_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("followed_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    CheckConstraint("follower_id <> followed_id", name="not_self"),
)

user_roles = Table(
    "user_roles",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Role(db.Model):
    """A named permission set (admin, editor, viewer) granted to users."""

    __tablename__ = "roles"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)

    users: Mapped[list[User]] = relationship(
        secondary=user_roles, back_populates="roles", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


class User(UserMixin, TimestampMixin, db.Model):
    """A Conduit user. Only the password *hash* is stored, never the password.

    `UserMixin` gives Flask-Login `is_authenticated`, `is_active` and `is_anonymous` (Q043).
    """

    __tablename__ = "users"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(2048))
    # Bumped by "log out everywhere" and password changes: sessions and remember-me cookies
    # carry the version they were issued with, so older ones stop working at once (Q145).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The language the user chose for the pages, such as "fr" (Q159); None follows the
    # browser's Accept-Language header. Checked against LANGUAGES when it is used.
    locale: Mapped[str | None] = mapped_column(String(16))

    # passive_deletes: deleting a user leaves the dependent rows to the database's
    # ON DELETE CASCADE instead of loading every collection first.
    articles: Mapped[list[Article]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )
    favorites: Mapped[list[Article]] = relationship(
        secondary="favorites", back_populates="favorited_by", passive_deletes=True
    )
    following: Mapped[list[User]] = relationship(
        secondary=follows,
        primaryjoin=lambda: User.id == follows.c.follower_id,
        secondaryjoin=lambda: User.id == follows.c.followed_id,
        back_populates="followers",
        passive_deletes=True,
    )
    followers: Mapped[list[User]] = relationship(
        secondary=follows,
        primaryjoin=lambda: User.id == follows.c.followed_id,
        secondaryjoin=lambda: User.id == follows.c.follower_id,
        back_populates="following",
        passive_deletes=True,
    )
    roles: Mapped[list[Role]] = relationship(
        secondary=user_roles, back_populates="users", passive_deletes=True
    )
    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    oauth_accounts: Mapped[list[OAuthAccount]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    uploads: Mapped[list[UploadedFile]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        # One spelling per address, so the unique constraint also catches "A@x.io" vs "a@x.io".
        return value.strip().lower()

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session and the remember-me cookie (Q143, Q145).

        An "alternative id": it carries the session version, so bumping `session_version`
        makes every id issued before unloadable, on every device, at once.
        """
        return f"{self.id}:{self.session_version}"

    # UserMixin compares users by `get_id()`; that would make two unsaved users (both
    # "None:None") equal. The identity map already gives one object per row, so keep
    # Python's identity equality, which is what SQLAlchemy expects of mapped objects.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def has_role(self, name: str) -> bool:
        """True when one of the user's roles is called `name`."""
        return any(role.name == name for role in self.roles)

    def __repr__(self) -> str:
        return f"<User {self.username}>"
