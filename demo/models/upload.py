"""Metadata of files users upload; the bytes live in `demo.uploads.storage` (Q099, Q146).

The file on disk gets a generated `stored_name`; the client's `original_name` is kept
only for display, never used as a path. `sha256` is indexed to find duplicates.
`purpose` says what the file is for, and with it who may read it: avatars are public,
everything else is readable by its owner only.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from demo.extensions import db
from demo.models.sqlite import NEVER_REUSE_IDS
from demo.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from demo.models.article import Article
    from demo.models.user import User

UPLOAD_PURPOSES = ("avatar", "attachment", "file")
PUBLIC_PURPOSES = frozenset({"avatar"})


class UploadedFile(db.Model):
    """One uploaded file's owner, names, type, size, checksum and purpose."""

    __tablename__ = "uploaded_files"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size_not_negative"),
        CheckConstraint(
            "purpose IN ('avatar', 'attachment', 'file')",
            name="purpose_known",
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(255), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    purpose: Mapped[str] = mapped_column(String(16), default="file", server_default="file")
    # SET NULL, not CASCADE: deleting an article must not silently drop rows whose bytes
    # would then be orphaned on disk; the file stays in its owner's list instead.
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )

    owner: Mapped[User] = relationship(back_populates="uploads")
    article: Mapped[Article | None] = relationship()

    @property
    def is_public(self) -> bool:
        """Whether anyone, signed in or not, may read the file (avatars only)."""
        return self.purpose in PUBLIC_PURPOSES

    def __repr__(self) -> str:
        return f"<UploadedFile {self.stored_name}>"
