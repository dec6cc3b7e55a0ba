"""Flask-Admin at /admin, for callers with the ``admin:access`` permission (Q136).

`init_admin(app)` builds one `Admin` and its views per app instead of sharing a module-level
instance in `demo.extensions`. Flask-Admin's `Admin.init_app` exists, but the objects are
not app-neutral: the `Admin` keeps the app it was last bound to (`admin.app`, read for
`debug`), and every view keeps the blueprint and admin it was registered with
(`view.blueprint`, `view.admin`). Sharing them across the apps the factory builds (one per
test, one per worker) would tie every app's views to the most recent app. Building them per
app costs a few milliseconds at start-up and shares nothing.

CSRF: the admin's forms carry no token field of their own; Flask-Admin's templates add
Flask-WTF's ``csrf_token()`` to every form when it exists, and the app-wide `CSRFProtect`
refuses any POST without a valid one (400), as on every other page. A form sent back with
validation errors is answered 422, as the site's own forms are.
"""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext

from demo.admin.accessibility import init_accessibility
from demo.admin.csp import apply_admin_policy
from demo.admin.views import (
    AdminHome,
    ArticleAdmin,
    CommentAdmin,
    RoleAdmin,
    UserAdmin,
    refused_forms_are_unprocessable,
)
from demo.extensions import db
from demo.models import Article, Comment, Role, User


def init_admin(app: Flask) -> Admin:
    """Create this app's admin, add the model views and register their blueprints."""
    home = AdminHome(url="/admin")
    admin = Admin(
        name="flaskproof admin",
        index_view=home,
        theme=Bootstrap4Theme(swatch="default", base_template="admin/flaskproof_base.html"),
    )
    models = (
        (UserAdmin, User, lazy_gettext("Users"), "users"),
        (RoleAdmin, Role, lazy_gettext("Roles"), "roles"),
        (ArticleAdmin, Article, lazy_gettext("Articles"), "articles"),
        (CommentAdmin, Comment, lazy_gettext("Comments"), "comments"),
    )
    views = [
        view_class(model, db, name=name, endpoint=f"admin_{slug}", url=f"/admin/{slug}")
        for view_class, model, name, slug in models
    ]
    admin.add_views(*views)
    admin.init_app(app)
    apply_admin_policy(app, [home, *views])
    app.after_request(refused_forms_are_unprocessable)
    init_accessibility(app)
    return admin
