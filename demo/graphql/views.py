"""The GraphQL endpoint: Strawberry's Flask view, adapted to this app (Q073).

- POST ``/api/graphql`` with ``{"query": ..., "variables": ...}``; GET with ``?query=`` works
  too (queries only: Strawberry refuses operations other than queries over GET).
- The GraphiQL page (GET from a browser) only when ``GRAPHQL_IDE`` is on: development, by
  default. Production answers that GET with a 404.
- Transport errors (no query, bad JSON, wrong method) are answered in the API's JSON error
  shape like every other /api error, instead of Strawberry's plain-text bodies. Errors *in*
  a query are GraphQL's business: a 200 with an ``errors`` list, per the GraphQL spec.
"""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException as TransportError
from flask import current_app, request
from flask.typing import ResponseReturnValue
from strawberry.flask.views import GraphQLView

from demo.errors import error_response
from demo.graphql.schema import schema


class ReadOnlyGraphQLView(GraphQLView):
    """Strawberry's view over `schema`, with the IDE switched per app."""

    def __init__(self, **kwargs: Any) -> None:
        # Flask builds the view object per request, so the current app's setting applies.
        ide = "graphiql" if current_app.config["GRAPHQL_IDE"] else None
        super().__init__(schema=schema, graphql_ide=ide, **kwargs)

    def dispatch_request(self) -> ResponseReturnValue:
        try:
            return self.run(request=request)
        except TransportError as error:
            return error_response(error.status_code, error.reason)
