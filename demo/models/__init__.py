"""The Conduit domain as SQLAlchemy 2.0 typed models on Flask-SQLAlchemy (Q057, Q075, Q146).

Importing this package registers every table on `db.metadata`; `create_app` imports it so
that `flask db migrate` (autogenerate) and `db.create_all()` see the whole schema.
"""

from demo.models import sqlite as _sqlite  # noqa: F401  (turns on SQLite foreign keys)
from demo.models.article import Article, Comment, Tag, article_tags, favorites
from demo.models.security import ApiKey, OAuthAccount
from demo.models.types import TimestampMixin, UTCDateTime, utcnow
from demo.models.upload import UploadedFile
from demo.models.user import ROLE_NAMES, Role, User, follows, user_roles

__all__ = [
    "ROLE_NAMES",
    "ApiKey",
    "Article",
    "Comment",
    "OAuthAccount",
    "Role",
    "Tag",
    "TimestampMixin",
    "UTCDateTime",
    "UploadedFile",
    "User",
    "article_tags",
    "favorites",
    "follows",
    "user_roles",
    "utcnow",
]
