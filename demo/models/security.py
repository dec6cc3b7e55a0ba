"""Credentials other than passwords: API keys and linked OAuth accounts (Q098, Q127, Q146).

Only a hash of each key is stored. The short `prefix` (the key's first characters, not
secret) is unique and indexed, so a presented key is found with one indexed lookup and
then verified against `key_hash` in constant time.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from demo.extensions import db
from demo.models.sqlite import NEVER_REUSE_IDS
from demo.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from demo.models.user import User


class ApiKey(db.Model):
    """One named API key of a user; revoked keys are kept for the audit trail."""

    __tablename__ = "api_keys"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="api_keys")

    @property
    def is_active(self) -> bool:
        """A key works until it is revoked."""
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiKey {self.prefix}… of user {self.user_id}>"


class OAuthAccount(db.Model):
    """A login at an OAuth 2 / OpenID Connect provider, linked to one local user.

    The provider's stable subject id (``sub``), not the e-mail address, identifies the
    account: e-mail addresses change hands, subjects do not.
    """

    __tablename__ = "oauth_accounts"
    __table_args__ = (UniqueConstraint("provider", "subject"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="oauth_accounts")

    def __repr__(self) -> str:
        return f"<OAuthAccount {self.provider}:{self.subject} of user {self.user_id}>"
