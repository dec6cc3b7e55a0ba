"""Metadata of files users upload (the upload issue stores the bytes) (Q146).

The file on disk gets a generated `stored_name`; the client's `original_name` is kept
only for display, never used as a path. `sha256` is indexed to find duplicates.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from demo.extensions import db
from demo.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from demo.models.user import User


class UploadedFile(db.Model):
    """One uploaded file's owner, names, type, size and checksum."""

    __tablename__ = "uploaded_files"
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(255), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User] = relationship(back_populates="uploads")

    def __repr__(self) -> str:
        return f"<UploadedFile {self.stored_name}>"
