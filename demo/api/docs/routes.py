"""GET /api/openapi.json and the Swagger UI page at GET /api/docs, offline (Q151).

A blueprint nested in the API's (``api.docs``), so its URLs sit under ``/api`` and share
the API's rate-limit budget, while the document of the ``api`` blueprint leaves these
routes out: they describe the API, they are not part of it.

Swagger UI's files come from the `swagger-ui-bundle` package (pinned by uv.lock), served
by this blueprint's static route under a URL that names their version, so the page works
with no network and browsers drop their cached copies on an upgrade. Nothing is fetched
from a CDN.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template
from swagger_ui_bundle import swagger_ui_path

from demo.api import bp
from demo.api.caching import conditional
from demo.api.docs.spec import openapi_document
from demo.security import CONTENT_SECURITY_POLICY

TITLE = "flaskproof Conduit API"
VERSION = "1.0.0"
DESCRIPTION = (
    "The RealWorld Conduit API as this app serves it. Request bodies and responses are "
    "the marshmallow schemas the views use, so this document is generated, not written. "
    'Every failure answers `{"errors": {"body": [...]}}`, with a list per invalid field.'
)
# Swagger UI's stylesheet draws a few icons as `data:` images; the rest of the policy stays.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("img-src ", "img-src data: ")

docs_bp = Blueprint(
    "docs",
    __name__,
    static_folder=swagger_ui_path,
    static_url_path=f"/docs/assets/{swagger_ui_path.name}",
)


def conduit_document(app: Flask) -> dict[str, Any]:
    """The `api` blueprint's document, built once per app (the URL map is fixed by then)."""
    documents = app.extensions.setdefault("flaskproof.openapi", {})
    if "api" not in documents:
        documents["api"] = openapi_document(
            app, "api", title=TITLE, version=VERSION, description=DESCRIPTION
        )
    return documents["api"]


@docs_bp.get("/openapi.json")
@conditional
def openapi_json() -> Response:
    """The OpenAPI 3 document, generated from the routes and the marshmallow schemas.

    Serialised in reading order (``openapi``, ``info``, ``tags``, ``paths``, ``components``)
    rather than with `jsonify`'s sorted keys: people read this file too.
    """
    document = conduit_document(current_app._get_current_object())
    return Response(json.dumps(document), mimetype="application/json")


@docs_bp.get("/docs")
def swagger_ui() -> Response:
    """Swagger UI on /api/openapi.json: read the API and try it from the browser."""
    response = Response(render_template("api/docs.html", title=TITLE), mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    return response


bp.register_blueprint(docs_bp)
