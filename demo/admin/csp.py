"""The admin pages' Content-Security-Policy: the site's, plus two exact inline handlers (Q136).

The site's policy runs no inline JavaScript at all (`demo.security`). Flask-Admin loads its
scripts from files, which that allows, but asks "Are you sure?" before deleting a row with an
inline ``onclick`` attribute, which it refuses: the row would be deleted without asking.
Rather than ``'unsafe-inline'``, which would let any injected handler run too, the admin's
policy allows exactly that handler by its SHA-256 hash (CSP's ``'unsafe-hashes'``), in the
language of the page, since the question is translated.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from flask import Flask, Response, request
from flask_admin import BaseView
from flask_admin.babel import gettext as admin_gettext

from demo.security import CONTENT_SECURITY_POLICY

# Flask-Admin's own message id, translated through its "admin" catalog as its template does.
DELETE_QUESTION = "Are you sure you want to delete this record?"


def _hash_source(handler: str) -> str:
    digest = hashlib.sha256(handler.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def allowed_inline_handlers() -> list[str]:
    """The inline handlers Flask-Admin's pages may run, exactly as its templates write them."""
    return [f"return faHelpers.safeConfirm('{admin_gettext(DELETE_QUESTION)}');"]


def admin_content_security_policy() -> str:
    """The site's policy with a `script-src` that also allows the admin's known handlers."""
    hashes = " ".join(_hash_source(handler) for handler in allowed_inline_handlers())
    return f"{CONTENT_SECURITY_POLICY}; script-src 'self' 'unsafe-hashes' {hashes}"


def apply_admin_policy(app: Flask, views: Iterable[BaseView]) -> None:
    """Send the admin policy with every response of these views (their static files too)."""
    blueprints = {view.endpoint for view in views}

    @app.after_request
    def admin_policy(response: Response) -> Response:
        if request.blueprint in blueprints:
            # Assigned, not set by default: it replaces the site-wide header on these pages.
            response.headers["Content-Security-Policy"] = admin_content_security_policy()
        return response
