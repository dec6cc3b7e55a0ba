"""A small read-only GraphQL API at /api/graphql (Q073).

Its own blueprint, as every topic here has one. It is exempt from the form CSRF check like
the rest of the JSON API: it only reads, and callers are not identified by cookies.
"""

from flask import Blueprint

from demo.graphql.views import ReadOnlyGraphQLView

bp = Blueprint("graphql", __name__, url_prefix="/api/graphql")
bp.add_url_rule("", view_func=ReadOnlyGraphQLView.as_view("query"))
