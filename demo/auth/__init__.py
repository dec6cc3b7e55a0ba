"""Identity: sessions and Flask-Login for pages, JWT and API keys for the API, OAuth login.

`bp` serves the browser pages under /auth; importing `demo.auth.login` registers the
Flask-Login callbacks on the shared `login_manager`.
"""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates", url_prefix="/auth")

from demo.auth import api, desk, login, oauth_routes, routes  # noqa: E402,F401  (routes, loaders)
