"""Who may use /admin: callers whose roles grant ``admin:access`` (Q045, Q136).

Flask-Admin leaves access control to the app. Every admin view here asks the project's own
RBAC guard (`demo.auth.permissions.require_permission`), the decorator the other pages use,
so the rules and the answers are the same everywhere: an anonymous visitor is sent to the
login page, a logged-in user without the permission gets the site's 403 page.
"""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from flask_login import current_user

from demo.auth.permissions import permissions_for, require_permission
from demo.auth.tokens import role_names

ADMIN_PERMISSION = "admin:access"


def _let_through() -> None:
    """The "view" the guard wraps: reaching it means the caller may proceed."""
    return None


# Returns None when the caller may pass, else the login redirect or the 403 response.
_admin_guard = require_permission(ADMIN_PERMISSION)(_let_through)


def may_administer() -> bool:
    """True when the logged-in user's roles grant the admin permission."""
    return current_user.is_authenticated and ADMIN_PERMISSION in permissions_for(
        role_names(current_user)
    )


class AdminOnly:
    """Mixin for Flask-Admin views: every request to them passes the RBAC guard first."""

    def is_accessible(self) -> bool:
        """Flask-Admin shows a view in its menu only when this is True."""
        return may_administer()

    def _handle_view(self, name: str, **kwargs: Any) -> ResponseReturnValue | None:
        # Flask-Admin runs this before every view method; a non-None value is the response.
        return _admin_guard()
