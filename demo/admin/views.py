"""The Flask-Admin views: users, roles, articles and comments (Q136).

Every view lists its columns and form fields explicitly (allow-lists, not deny-lists), so a
column added to a model later never appears in the admin by accident. The password hash in
particular is in none of them: not listed, not searchable, not editable.

What cannot be done here, and why:

- users are not created here (they choose their own password at /auth/register), and
  passwords cannot be seen or set;
- roles are neither created nor renamed nor deleted: what a role allows is defined in code
  (`demo.auth.permissions.ROLE_PERMISSIONS`); the admin grants and withdraws them;
- articles and comments are written through the site and the API, which set their author
  and slug; the admin edits and deletes them (moderation).
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, g, request
from flask_admin import AdminIndexView
from flask_admin.contrib.sqla import ModelView
from wtforms import Form
from wtforms.validators import Length, Optional

from demo.admin.access import AdminOnly
from demo.admin.fields import ManyToManySelect, choices_of
from demo.auth.forms import HttpsUrl
from demo.models import Role, Tag, User


class AdminHome(AdminOnly, AdminIndexView):
    """/admin itself, behind the same guard as the model views."""


class _ModelAdmin(AdminOnly, ModelView):
    """Defaults shared by the model views."""

    can_create = False
    can_view_details = True
    page_size = 50
    # The bulk "delete selected" action only works through inline JavaScript, which this
    # site's Content-Security-Policy does not run; rows are deleted one at a time instead.
    action_disallowed_list = ("delete",)

    def validate_form(self, form: Form) -> bool:
        """Flask-Admin re-renders a refused form with 200; note it, so the app answers 422."""
        valid = super().validate_form(form)
        if not valid and request.method == "POST":
            g.admin_form_refused = True
        return valid


def refused_forms_are_unprocessable(response: Response) -> Response:
    """An admin form sent back with errors is a 422, like every other form of the site."""
    if g.get("admin_form_refused") and response.status_code == 200:
        response.status_code = 422
    return response


class UserAdmin(_ModelAdmin):
    """Users: profile fields, roles and language; never the password hash."""

    column_list = ("id", "username", "email", "roles", "locale", "created_at")
    column_details_list = (
        "id",
        "username",
        "email",
        "bio",
        "image",
        "roles",
        "locale",
        "created_at",
        "updated_at",
    )
    column_searchable_list = ("username", "email")
    column_sortable_list = ("id", "username", "email", "created_at")
    column_default_sort = ("id", False)
    # The language stays the user's own choice (/language), so it is shown but not edited.
    form_columns = ("username", "email", "bio", "image", "roles")
    form_overrides: ClassVar[dict[str, type]] = {"roles": ManyToManySelect}
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        "roles": {"query_factory": choices_of(Role, Role.name)},
        # The same rule as the profile form: a picture is an https:// URL or nothing.
        "image": {"validators": [Optional(), Length(max=2048), HttpsUrl()]},
    }


class RoleAdmin(_ModelAdmin):
    """Roles: who holds each one. Names and permissions are fixed in code."""

    can_delete = False
    column_list = ("name", "users")
    column_details_list = ("name", "users")
    form_columns = ("users",)
    form_overrides: ClassVar[dict[str, type]] = {"users": ManyToManySelect}
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        "users": {"query_factory": choices_of(User, User.username)}
    }


class ArticleAdmin(_ModelAdmin):
    """Articles: fix a title, a description or a body, retag, or delete."""

    column_list = ("id", "title", "slug", "author", "tags", "created_at")
    column_details_list = (
        "id",
        "title",
        "slug",
        "author",
        "description",
        "body",
        "tags",
        "created_at",
        "updated_at",
    )
    column_searchable_list = ("title", "slug")
    column_sortable_list = ("id", "title", "created_at")
    column_default_sort = ("id", True)
    form_columns = ("title", "description", "body", "tags")
    form_overrides: ClassVar[dict[str, type]] = {"tags": ManyToManySelect}
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        "tags": {"query_factory": choices_of(Tag, Tag.name)}
    }


class CommentAdmin(_ModelAdmin):
    """Comments: moderate (edit or delete)."""

    column_list = ("id", "body", "author", "article", "created_at")
    column_details_list = ("id", "body", "author", "article", "created_at", "updated_at")
    column_searchable_list = ("body",)
    column_sortable_list = ("id", "created_at")
    column_default_sort = ("id", True)
    form_columns = ("body",)
