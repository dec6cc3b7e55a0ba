"""Flask-Login wiring: how a session cookie becomes `current_user` (Q043, Q044, Q143, Q145).

Flask-Login keeps ``user.get_id()`` in the session (and, with "Remember me", in a signed
``remember_token`` cookie) and calls `load_user` with it once per request. Our id is
``"<user id>:<session version>"``, so raising a user's `session_version` makes every session
and remember cookie issued before it load nobody: "log out everywhere" in one UPDATE.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from demo.extensions import db, login_manager
from demo.models import User

_LOGIN_ID = re.compile(r"(\d+):(\d+)", re.ASCII)

# Pages behind @login_required send anonymous visitors here, with ?next=<the page>.
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user for a stored id, or None (anonymous) if it is malformed or outdated."""
    match = _LOGIN_ID.fullmatch(user_id)
    if match is None:
        return None
    user = db.session.get(User, int(match[1]))
    if user is None or user.session_version != int(match[2]):
        return None
    return user


def safe_next_url(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: `?next=` is never an open redirect.

    Only relative paths pass. Refused: absolute URLs (``https://evil.example``), scheme-
    relative ones (``//evil.example``), other schemes (``javascript:...``), and anything with
    a backslash or a control or space character, because browsers read ``\\`` as ``/`` and
    drop tabs and newlines, which turns ``/\\evil.example`` into ``//evil.example``.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
