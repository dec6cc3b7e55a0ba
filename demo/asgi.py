"""The project app behind an ASGI adapter (Q106): `uvicorn demo.asgi:asgi_app`.

Flask is a WSGI framework; asgiref's `WsgiToAsgi` turns each ASGI ``http`` scope into a WSGI
environ and runs the unchanged app, so any ASGI server (uvicorn, hypercorn, daphne) can serve
it. `make run-asgi` serves it on http://127.0.0.1:5001.

What the adapter does not do is make the app concurrent: it runs the WSGI app on asgiref's one
shared thread, one request at a time per process. Scale with processes (``uvicorn --workers
4``) or serve with gunicorn (`demo.wsgi`), as production does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from asgiref.wsgi import WsgiToAsgi
from flask import Flask

from demo import create_app
from demo.middleware import WSGIApp


class CloseAfterIteration:
    """Call the response's `close()` once its body has been sent, as PEP 3333 requires.

    asgiref's adapter iterates the body but never closes it (django/asgiref#587), so without
    this, close callbacks never run: here, RequestIdMiddleware's access line would be lost.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterator[bytes]:
        return self._closing(self.app(environ, start_response))

    @staticmethod
    def _closing(body: Iterable[bytes]) -> Iterator[bytes]:
        try:
            # A plain loop, not `yield from`: that would also close `body` when this
            # generator is closed, and the callbacks would run twice.
            for chunk in body:  # noqa: UP028
                yield chunk
        finally:
            # Also reached when the adapter stops early (it stops at Content-Length) and
            # drops this generator, which closes it.
            close = getattr(body, "close", None)
            if close is not None:
                close()


def build_asgi_app(app: Flask) -> WsgiToAsgi:
    """Wrap a Flask app for ASGI servers without losing WSGI's close() contract."""
    return WsgiToAsgi(CloseAfterIteration(app))


flask_app = create_app()
asgi_app = build_asgi_app(flask_app)
