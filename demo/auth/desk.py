"""The editor's desk: one page and one API endpoint behind the same permission (Q045, Q046).

Both views carry the same `@require_permission("articles:write")`. A viewer is refused with
a 403 (an HTML page, or JSON for the API); an editor or an admin gets in; someone not logged
in is sent to the login page, or gets a 401 from the API.
"""

from __future__ import annotations

from flask import Response, jsonify, render_template

from demo.auth import bp
from demo.auth.api import api_bp, principal_json, user_json
from demo.auth.permissions import Principal, current_principal, require_permission

DESK_PERMISSION = "articles:write"


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # guaranteed by @require_permission
    return principal


@bp.get("/editor-desk")
@require_permission(DESK_PERMISSION)
def editor_desk_page() -> str:
    """The page, for a browser logged in with a session."""
    return render_template("auth/editor_desk.html", principal=_principal())


@api_bp.get("/editor-desk")
@require_permission(DESK_PERMISSION)
def editor_desk_api() -> Response:
    """The same desk for API clients (JWT or API key)."""
    principal = _principal()
    return jsonify(desk="editor", user=user_json(principal.user), auth=principal_json(principal))
