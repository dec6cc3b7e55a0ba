"""A bare Flask app: the baseline bench/throughput.py compares flaskproof with (Q102).

It answers the measured URLs with the very bytes the real app returned for them (the
benchmark fetches those and names the file in ``BENCH_BODIES``), and ``/healthz`` with
`jsonify` as the real view does. No extensions, middleware, hooks, logging or database: what
is left is Flask, Werkzeug and gunicorn, the floor any Flask app stands on.

    BENCH_BODIES=bodies.json gunicorn -c gunicorn.conf.py bench.bare_app:app
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response, jsonify


def create_bare_app(bodies: dict[str, str]) -> Flask:
    """Flask serving each ``path -> JSON text`` pair as stored, plus a `jsonify` /healthz."""
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    for number, (path, body) in enumerate(bodies.items()):
        if path == "/healthz":
            continue
        encoded = body.encode()

        def stored(encoded: bytes = encoded) -> Response:
            return Response(encoded, mimetype="application/json")

        app.add_url_rule(path, endpoint=f"stored_{number}", view_func=stored)
    return app


def _bodies_from_environment() -> dict[str, str]:
    path = os.environ.get("BENCH_BODIES")
    return json.loads(Path(path).read_text()) if path else {}


app = create_bare_app(_bodies_from_environment())
