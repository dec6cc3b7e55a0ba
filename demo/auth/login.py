"""Flask-Login wiring: how a session cookie becomes `current_user` (Q043, Q044, Q143)."""

from __future__ import annotations

from demo.extensions import db, login_manager
from demo.models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Called once per request with the id stored in the session; None means anonymous."""
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))
